"""The reader's exporter (evaluation.reader.export): its refusals, and the average of
trained runs' weights (on MiniLM's own weights; no test trains a model)."""

from __future__ import annotations

import sys

import pytest

from evaluation.reader.export import main


def test_a_missing_quantiser_is_one_line_naming_the_fix(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx_ir", None)  # as in a venv without the train extra
    with pytest.raises(SystemExit) as stopped:
        main(["--model", str(tmp_path / "model"), "--out", str(tmp_path / "out")])
    message = str(stopped.value.code)
    assert message.startswith("error: ") and "\n" not in message
    assert "pip install -e '.[dev,train]'" in message
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_several_trained_folders_load_as_the_average_of_their_weights(tmp_path):
    from safetensors.torch import save_file

    from evaluation.reader.export import load_trained
    from evaluation.reader.train import build_model
    from qa.encoders.embeddings import MINILM, resolve_model_path

    state = {k: v.clone() for k, v in build_model(resolve_model_path(MINILM)).state_dict().items()}
    for name, shift in (("a", 0.0), ("b", 1.0)):
        (tmp_path / name).mkdir()
        shifted = {k: v + shift if v.is_floating_point() else v for k, v in state.items()}
        save_file(shifted, tmp_path / name / "reader.safetensors")
    one = load_trained(tmp_path / "b").state_dict()
    both = load_trained(tmp_path / "a", tmp_path / "b").state_dict()
    assert float((one["score.weight"] - state["score.weight"]).mean()) == pytest.approx(1.0)
    for name in ("score.weight", "span.bias", "bert.encoder.layer.0.attention.self.query.weight"):
        assert float((both[name] - state[name]).abs().max()) == pytest.approx(0.5, abs=1e-5)


def test_exporting_into_a_folder_again_keeps_the_bars_set_for_it(tmp_path):
    import json
    import shutil

    import numpy as np

    from evaluation.reader import export
    from qa.encoders.reader import SHIPPED, OnnxReader

    out = tmp_path / "reader_model"
    shutil.copytree(SHIPPED, out)
    (out / "reader.json").write_text('{"max_length": 64, "sure": 0.6, "evidence": 0.9}')
    reader = OnnxReader(SHIPPED)
    expected = np.array([reader.scores(q, [s])[0] for q, s in export.CHECK_PAIRS])
    export._finish(out, expected, max_length=96)
    config = json.loads((out / "reader.json").read_text())
    assert config == {"max_length": 96, "sure": 0.6, "evidence": 0.9}
    assert OnnxReader(out).bars.sure == 0.6

"""The reader's exporter (evaluation.export_reader): its refusals, which need no trained model."""

from __future__ import annotations

import sys

import pytest

from evaluation.export_reader import main


def test_a_missing_quantiser_is_one_line_naming_the_fix(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx_ir", None)  # as in a venv without the train extra
    with pytest.raises(SystemExit) as stopped:
        main(["--model", str(tmp_path / "model"), "--out", str(tmp_path / "out")])
    message = str(stopped.value.code)
    assert message.startswith("error: ") and "\n" not in message
    assert "pip install -e '.[dev,train]'" in message
    assert not (tmp_path / "out").exists()  # refused before anything was written

"""Export a trained reader to the int8 ONNX file the product ships, with its SHA-256 sums.

    python -m evaluation.reader.export [--model .reader-train/model] [--out qa/encoders/reader_model]
    python -m evaluation.reader.export --from-onnx qa/encoders/reader_model   # quantise a file again

Runs on ONNX Runtime without torch. Linear layers get int8 with activations scaled per run (the
reader runs one pair at a time, so a pair's result never depends on what else is read), the
embedding table 4 bits: 29 MB instead of 91, and the held-out figures of the float model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from qa.encoders.onnx_embeddings import export_bert
from qa.encoders.reader import (
    BAR_NAMES,
    CHECKED_FILES,
    DEFAULT_MAX_LENGTH,
    MODEL_FILE,
    SUMS_SUFFIX,
    TOKENIZER_FILE,
    file_sha256,
)

CHECK_PAIRS = [
    ("Who proposed talks in Minsk?", "Putin said Russia was ready to send a delegation to Minsk."),
    ("Who proposed talks in Minsk?", "The ministry said the talks would resume next week."),
    ("Which country won the World Cup?", "Argentina beat France on penalties in the final."),
    ("Which country won the World Cup?", "Fans gathered in the square before the match."),
]


def _check_quantiser() -> None:
    """Refuse at once, in one line naming the fix, when the 4-bit quantiser's dependency (the
    `train` extra, which `make train-reader` installs) is missing, not after the export."""
    try:
        import onnx_ir  # noqa: F401
    except ImportError:
        raise SystemExit(
            "error: exporting the reader needs the 'train' extra (onnx-ir): run "
            "`.venv/bin/pip install -e '.[dev,train]'`, or `make train-reader`"
        ) from None


def _quantise(fp32: Path, target: Path) -> None:
    """Linear layers to int8 (weights per channel, activations scaled per run, so a pair read
    alone never depends on what else is read), except each layer's feed-forward output, whose
    input (after GELU) has the outliers per-tensor int8 loses; the embedding table to 4 bits."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    graph = onnx.load(str(fp32)).graph
    keep_float = [
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and "/output/dense/" in n.name and "/attention/" not in n.name
    ]
    linear = target.with_suffix(".linear.onnx")
    quantize_dynamic(
        fp32,
        linear,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        nodes_to_exclude=keep_float,
    )
    table = MatMulNBitsQuantizer(
        onnx.load(str(linear)),
        bits=4,
        block_size=32,
        is_symmetric=True,
        op_types_to_quantize=("Gather",),
        quant_axes=(("Gather", 1),),
    )
    table.process()
    table.model.save_model_to_file(str(target), False)
    linear.unlink()


def dequantise(shipped: Path, fp32: Path) -> None:
    """The float graph of an exported reader: 8-bit `MatMulNBits` weights and the 4-bit table
    expanded back to float32, to quantise again when the trained weights are gone."""
    import onnx
    from onnx import helper
    from onnx import numpy_helper as nh

    model = onnx.load(str(shipped))
    graph = model.graph
    weights = {i.name: nh.to_array(i) for i in graph.initializer}
    nodes, dropped, added = [], set(), []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "MatMulNBits":
            quantised, scales = (weights[n].astype(np.float32) for n in node.input[1:3])
            blocks = quantised.shape[:2]
            zero = 2.0 ** (attrs["bits"] - 1)  # symmetric: no zero-point input
            w = ((quantised - zero) * scales.reshape(*blocks, 1)).reshape(blocks[0], -1)
            name = node.input[1] + "_float"
            added.append(nh.from_array(np.ascontiguousarray(w[:, : attrs["K"]].T), name))
            nodes.append(helper.make_node("MatMul", [node.input[0], name], node.output, node.name))
        elif node.op_type == "GatherBlockQuantized":
            quantised, scales = weights[node.input[0]].astype(np.float32), weights[node.input[2]]
            w = quantised.reshape(len(quantised), -1, attrs["block_size"]) * scales[:, :, None]
            name = node.input[0] + "_float"
            added.append(nh.from_array(w.reshape(len(quantised), -1), name))
            nodes.append(
                helper.make_node("Gather", [name, node.input[1]], node.output, node.name, axis=0)
            )
        else:
            nodes.append(node)
            continue
        dropped.update(node.input[1:3] if node.op_type == "MatMulNBits" else node.input[::2])
    kept = [i for i in graph.initializer if i.name not in dropped]
    del graph.node[:], graph.initializer[:]
    graph.node.extend(nodes)
    graph.initializer.extend(kept + added)
    onnx.save(model, str(fp32))


def load_trained(model_dir: Path, *others: Path):
    """The trained reader (`evaluation.reader.train`'s model folder), in eval mode; given more
    folders, the average of their weights (runs that share mining, held-out weeks and the heads'
    initialisation and differ in `--order-seed`: a "model soup", read at one model's cost)."""
    from safetensors.torch import load_file

    from evaluation.reader.train import build_model
    from qa.encoders.embeddings import MINILM, resolve_model_path

    states = [load_file(folder / "reader.safetensors") for folder in (model_dir, *others)]
    averaged = {name: sum(s[name] for s in states) / len(states) for name in states[0]}
    model = build_model(resolve_model_path(MINILM))
    model.load_state_dict(averaged)
    return model.eval()


def validate_shipped(folder: Path, groups: Path) -> dict[str, float]:
    """The exported reader's figures on the held-out weeks, as `train_reader` reports the float
    model's: top-1 of 8, and the share of positives whose marked span is the answer."""
    from evaluation.metrics import normalize_answer
    from evaluation.reader.data import read_groups
    from evaluation.reader.train import SEED, VALIDATION_SHARE, answer_span, split_by_week
    from qa.encoders.reader import OnnxReader

    mined = read_groups(groups)
    _, valid = split_by_week(mined, VALIDATION_SHARE, SEED)
    reader = OnnxReader(folder, check_sums=False)
    top1 = exact = labelled = 0
    for g in valid:
        readings = reader.read(g.question, [g.positive, *g.negatives], g.titles or None)
        top1 += all(readings[0].logit > r.logit for r in readings[1:])
        if (span := answer_span(g.positive, g.answers)) is not None:
            labelled += 1
            marked = readings[0].answer_in(g.positive) or ""
            exact += normalize_answer(marked) == normalize_answer(g.positive[span[0] : span[1]])
    return {
        "top1": round(top1 / len(valid), 4),
        "span_exact": round(exact / max(labelled, 1), 4),
        "groups": len(valid),
    }


def export(
    model_dir: Path, out: Path, *, max_length: int | None = None, average: tuple[Path, ...] = ()
) -> dict:
    """Export the trained reader of `model_dir` (averaged with those of `average`, if any) to
    int8 ONNX in `out`; its encoding (max_length, titles) is the one it was trained with
    (`model_dir`'s `training.json`) unless `max_length` is given."""
    import torch
    from transformers import AutoTokenizer

    model = load_trained(model_dir, *average)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    sample = tokenizer(
        [q for q, _ in CHECK_PAIRS], [s for _, s in CHECK_PAIRS], padding=True, return_tensors="pt"
    )
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        outputs = {"logits": (0,), "start_logits": (0, 1), "end_logits": (0, 1)}
        export_bert(model, sample, fp32, outputs=outputs)
        out.mkdir(parents=True, exist_ok=True)
        _quantise(fp32, out / MODEL_FILE)
    tokenizer.backend_tokenizer.save(str(out / TOKENIZER_FILE))
    with torch.inference_mode():
        expected = model(**sample)[0].numpy().reshape(-1)
    trained = model_dir / "training.json"
    encoding = json.loads(trained.read_text()) if trained.is_file() else {}
    if max_length is None:
        max_length = encoding.get("max_length", DEFAULT_MAX_LENGTH)
    return _finish(out, expected, max_length=max_length, titles=encoding.get("titles", False))


def requantise(shipped: Path, out: Path) -> dict:
    """Quantise an exported reader again (as `_quantise` does) from its own file, for when the
    trained weights it came from are gone; compared with its float expansion."""
    from qa.encoders.reader import OnnxReader

    config = json.loads((shipped / "reader.json").read_text())
    max_length = config["max_length"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dequantise(shipped / MODEL_FILE, folder / MODEL_FILE)
        shutil.copy(shipped / TOKENIZER_FILE, folder / TOKENIZER_FILE)
        float_reader = OnnxReader(folder, max_length=max_length, check_sums=False)
        expected = np.array([float_reader.scores(q, [s])[0] for q, s in CHECK_PAIRS])
        out.mkdir(parents=True, exist_ok=True)
        _quantise(folder / MODEL_FILE, out / MODEL_FILE)
    if out.resolve() != shipped.resolve():
        shutil.copy(shipped / TOKENIZER_FILE, out / TOKENIZER_FILE)
    return _finish(out, expected, max_length=max_length, titles=config.get("titles", False))


def _finish(out: Path, expected: np.ndarray, *, max_length: int, titles: bool = False) -> dict:
    """Check the exported file against the float logits of CHECK_PAIRS, write its settings and
    SHA-256 files, and return the figures."""
    from qa.encoders.reader import OnnxReader

    reader = OnnxReader(out, max_length=max_length, check_sums=False)
    got = np.array([reader.scores(q, [s])[0] for q, s in CHECK_PAIRS], dtype=np.float32)
    spans = [reader.read(q, [s])[0].answer_in(s) for q, s in CHECK_PAIRS]
    figures = {"max_abs_diff_int8": float(np.abs(expected - got).max()), "spans": spans}
    settings = {"max_length": max_length, **({"titles": True} if titles else {})}
    # The answerer's bars for this reader (qa.encoders.reader.ReaderBars) are set on the dev
    # set after export: exporting into a folder again keeps those it has.
    config_file = out / "reader.json"
    earlier = json.loads(config_file.read_text()) if config_file.is_file() else {}
    settings.update({k: earlier[k] for k in BAR_NAMES if k in earlier})
    config_file.write_text(json.dumps(settings, indent=2) + "\n")
    sums = {name: file_sha256(out / name) for name in CHECKED_FILES}
    for name, digest in sums.items():
        (out / (name + SUMS_SUFFIX)).write_text(f"{digest}  {name}\n")
    figures.update(size_mb=round((out / MODEL_FILE).stat().st_size / 1e6, 1), sha256=sums)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.reader.export")
    parser.add_argument("--model", type=Path, default=Path(".reader-train/model"))
    parser.add_argument("--out", type=Path, default=Path("qa/encoders/reader_model"))
    parser.add_argument("--max-length", type=int, default=None, help="default: as trained")
    parser.add_argument(
        "--average",
        type=Path,
        nargs="+",
        default=[],
        metavar="MODEL",
        help="more trained model folders whose weights are averaged with --model's",
    )
    parser.add_argument(
        "--groups", type=Path, default=Path(".reader-train/groups.jsonl"), help="mined pairs"
    )
    parser.add_argument(
        "--from-onnx",
        type=Path,
        metavar="FOLDER",
        help="quantise an exported reader's folder again instead of exporting --model",
    )
    args = parser.parse_args(argv)
    _check_quantiser()
    if args.from_onnx:
        figures = requantise(args.from_onnx, args.out)
    else:
        figures = export(
            args.model, args.out, max_length=args.max_length, average=tuple(args.average)
        )
    if args.groups.is_file():
        figures["validation"] = validate_shipped(args.out, args.groups)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

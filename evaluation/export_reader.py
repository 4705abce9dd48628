"""Export a trained reader to the 8-bit ONNX file the product ships, with its SHA-256 sums.

    python -m evaluation.export_reader [--model .reader-train/model] [--out qa/reader_model]

Runs on ONNX Runtime without torch. Linear layers get 8-bit weights, float activations (a pair's
result never depends on its batch; calibrated static int8 also moved logits by up to 1.3), the
embedding table 4 bits: 20 MB instead of 91, and the held-out figures of the float model.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from qa.onnx_embeddings import export_bert
from qa.reader import CHECKED_FILES, MODEL_FILE, SUMS_SUFFIX, TOKENIZER_FILE, file_sha256

CHECK_PAIRS = [
    ("Who proposed talks in Minsk?", "Putin said Russia was ready to send a delegation to Minsk."),
    ("Who proposed talks in Minsk?", "The ministry said the talks would resume next week."),
    ("Which country won the World Cup?", "Argentina beat France on penalties in the final."),
    ("Which country won the World Cup?", "Fans gathered in the square before the match."),
]


def _quantise(fp32: Path, target: Path) -> None:
    """Linear layers to 8-bit weights (activations stay float, quantised per row inside the
    kernel, so a pair's result never depends on its batch), the embedding table to 4 bits."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    linear = MatMulNBitsQuantizer(
        onnx.load(str(fp32)),
        bits=8,
        block_size=32,
        is_symmetric=True,
        accuracy_level=4,  # int8 arithmetic: twice as fast as float on this CPU
        op_types_to_quantize=("MatMul",),
    )
    linear.process()
    table = MatMulNBitsQuantizer(
        linear.model.model,
        bits=4,
        block_size=32,
        is_symmetric=True,
        op_types_to_quantize=("Gather",),
        quant_axes=(("Gather", 1),),
    )
    table.process()
    table.model.save_model_to_file(str(target), False)


def load_trained(model_dir: Path):
    """The trained reader (`evaluation.train_reader`'s model folder), in eval mode."""
    from safetensors.torch import load_file

    from evaluation.train_reader import build_model
    from qa.embeddings import MINILM, resolve_model_path

    model = build_model(resolve_model_path(MINILM))
    model.load_state_dict(load_file(model_dir / "reader.safetensors"))
    return model.eval()


def validate_shipped(folder: Path, groups: Path) -> dict[str, float]:
    """The exported reader's figures on the held-out weeks, as `train_reader` reports the float
    model's: top-1 of 8, and the share of positives whose marked span is the answer."""
    from evaluation.metrics import normalize_answer
    from evaluation.reader_data import Group
    from evaluation.train_reader import SEED, VALIDATION_SHARE, answer_span, split_by_week
    from qa.reader import OnnxReader

    mined = [Group(**json.loads(line)) for line in groups.open(encoding="utf-8")]
    _, valid = split_by_week(mined, VALIDATION_SHARE, SEED)
    reader = OnnxReader(folder, check_sums=False)
    top1 = exact = labelled = 0
    for g in valid:
        readings = reader.read(g.question, [g.positive, *g.negatives])
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


def export(model_dir: Path, out: Path, *, max_length: int) -> dict:
    import torch
    from transformers import AutoTokenizer

    model = load_trained(model_dir)
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
        expected = model(**sample)[0].numpy()
    from qa.reader import OnnxReader

    reader = OnnxReader(out, max_length=max_length, check_sums=False)
    got = np.array([reader.scores(q, [s])[0] for q, s in CHECK_PAIRS], dtype=np.float32)
    spans = [reader.read(q, [s])[0].answer_in(s) for q, s in CHECK_PAIRS]
    figures = {"max_abs_diff_int8": float(np.abs(expected.reshape(-1) - got).max()), "spans": spans}
    (out / "reader.json").write_text(json.dumps({"max_length": max_length}, indent=2) + "\n")
    sums = {name: file_sha256(out / name) for name in CHECKED_FILES}
    for name, digest in sums.items():
        (out / (name + SUMS_SUFFIX)).write_text(f"{digest}  {name}\n")
    figures.update(size_mb=round((out / MODEL_FILE).stat().st_size / 1e6, 1), sha256=sums)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.export_reader")
    parser.add_argument("--model", type=Path, default=Path(".reader-train/model"))
    parser.add_argument("--out", type=Path, default=Path("qa/reader_model"))
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument(
        "--groups", type=Path, default=Path(".reader-train/groups.jsonl"), help="mined pairs"
    )
    args = parser.parse_args(argv)
    figures = export(args.model, args.out, max_length=args.max_length)
    if args.groups.is_file():
        figures["validation"] = validate_shipped(args.out, args.groups)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

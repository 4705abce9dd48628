"""Export a trained reader to the int8 ONNX file the product ships, with its SHA-256.

    python -m evaluation.export_reader [--model .reader-train/model] [--out qa/reader_model]

The answer path runs the reader on ONNX Runtime without torch; static int8 quantisation keeps a
sentence's score independent of the sentences read with it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from qa.onnx_embeddings import export_bert
from qa.reader import MODEL_FILE, SUMS_FILE, TOKENIZER_FILE, file_sha256

CHECK_PAIRS = [
    ("Who proposed talks in Minsk?", "Putin said Russia was ready to send a delegation to Minsk."),
    ("Who proposed talks in Minsk?", "The ministry said the talks would resume next week."),
    ("Which country won the World Cup?", "Argentina beat France on penalties in the final."),
    ("Which country won the World Cup?", "Fans gathered in the square before the match."),
]


CALIBRATION_GROUPS = 60  # training groups (8 pairs each) that set the activation scales


class _Calibration:
    """Feeds training pairs to ONNX Runtime's calibrator, one group per batch."""

    def __init__(self, tokenizer, groups) -> None:
        self._batches = iter(
            dict(
                tokenizer(
                    [g.question] * (1 + len(g.negatives)),
                    [g.positive, *g.negatives],
                    truncation="longest_first",
                    max_length=96,
                    padding=True,
                    return_tensors="np",
                )
            )
            for g in groups
        )

    def get_next(self):
        return next(self._batches, None)


def _quantise(fp32: Path, target: Path, calibration) -> None:
    """Static int8 linear layers (calibrated), 4-bit embedding table."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared, linear = fp32.with_suffix(".pre.onnx"), fp32.with_suffix(".int8.onnx")
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(linear),
        calibration,
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Gemm"],
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


def export(model_dir: Path, out: Path, *, max_length: int, groups: Path) -> dict:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from evaluation.reader_data import Group
    from evaluation.train_reader import SEED, VALIDATION_SHARE, split_by_week

    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    sample = tokenizer(
        [q for q, _ in CHECK_PAIRS], [s for _, s in CHECK_PAIRS], padding=True, return_tensors="pt"
    )
    mined = [Group(**json.loads(line)) for line in groups.open(encoding="utf-8")]
    train, _ = split_by_week(mined, VALIDATION_SHARE, SEED)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        export_bert(model, sample, fp32, output=("logits", "logits"))
        out.mkdir(parents=True, exist_ok=True)
        calibration = _Calibration(tokenizer, train[:CALIBRATION_GROUPS])
        _quantise(fp32, out / MODEL_FILE, calibration)
    tokenizer.backend_tokenizer.save(str(out / TOKENIZER_FILE))
    with torch.inference_mode():
        expected = model(**sample).logits.squeeze(-1).numpy()
    from qa.reader import OnnxReader

    reader = OnnxReader(out, max_length=max_length, check_sums=False)
    got = np.array([reader.scores(q, [s])[0] for q, s in CHECK_PAIRS], dtype=np.float32)
    figures = {"max_abs_diff_int8": float(np.abs(expected.reshape(-1) - got).max())}
    (out / "reader.json").write_text(json.dumps({"max_length": max_length}, indent=2) + "\n")
    sums = {name: file_sha256(out / name) for name in (MODEL_FILE, TOKENIZER_FILE)}
    (out / SUMS_FILE).write_text("".join(f"{d}  {n}\n" for n, d in sums.items()))
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
    figures = export(args.model, args.out, max_length=args.max_length, groups=args.groups)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

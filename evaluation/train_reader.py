"""Train the reader: a MiniLM cross-encoder that scores (question, sentence) pairs.

    python -m evaluation.train_reader [--data DIR] [--work DIR] [--minutes N]

A listwise softmax over one positive and seven negatives from the same articles teaches it to
pick the answering sentence among near-synonymous ones. CPU only, resumable, seeded; ends by
exporting the shipped ONNX file. Never run in CI or by the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

DATA = Path("../shared/data/realtimeqa-train")
WORK = Path(".reader-train")
SEED = 13
MAX_LENGTH = 96  # question + one sentence: 95 % of pairs fit
GROUPS_PER_STEP = 4  # 4 x 8 = 32 pairs per step
LEARNING_RATE = 4e-5
WARMUP = 0.06
VALIDATION_SHARE = 0.08  # of the quiz weeks, held out whole
CHECKPOINT_SECONDS = 300


def split_by_week(groups, share: float, seed: int):
    """Train and validation groups; a week's questions stay together (no leak between them)."""
    weeks = sorted({g.question_id.split("_")[0] for g in groups})
    random.Random(seed).shuffle(weeks)
    held = set(weeks[: max(1, round(len(weeks) * share))])
    train = [g for g in groups if g.question_id.split("_")[0] not in held]
    valid = [g for g in groups if g.question_id.split("_")[0] in held]
    return train, valid


def load_groups(data: Path, work: Path, seed: int):
    """Mined groups, cached in `work` (mining reads 163 M characters)."""
    from evaluation.reader_data import Group, mine_files

    cache = work / "groups.jsonl"
    if cache.is_file():
        return [Group(**json.loads(line)) for line in cache.open(encoding="utf-8")]
    groups = mine_files(data / "questions.jsonl", data / "articles.jsonl.gz", seed=seed)
    work.mkdir(parents=True, exist_ok=True)
    with cache.open("w", encoding="utf-8") as f:
        for g in groups:
            f.write(json.dumps(g.__dict__, ensure_ascii=False) + "\n")
    return groups


def group_logits(model, tokenizer, groups):
    """Logits shaped (groups, 1 + negatives), one forward pass, padded to the longest pair."""
    import torch

    questions = [g.question for g in groups for _ in range(1 + len(g.negatives))]
    sentences = [s for g in groups for s in [g.positive, *g.negatives]]
    batch = tokenizer(
        questions,
        sentences,
        truncation="longest_first",
        max_length=MAX_LENGTH,
        padding=True,
        return_tensors="pt",
    )
    logits = model(**batch).logits.squeeze(-1)
    return (
        logits.view(len(groups), -1)
        if len({len(g.negatives) for g in groups}) == 1
        else (
            torch.nn.utils.rnn.pad_sequence(
                list(logits.split([1 + len(g.negatives) for g in groups])),
                batch_first=True,
                padding_value=-1e4,
            )
        )
    )


def validate(model, tokenizer, groups) -> dict[str, float]:
    """Top-1 accuracy (the positive outscores all its negatives) and mean reciprocal rank."""
    import torch

    model.eval()
    top1 = rr = 0.0
    with torch.inference_mode():
        for i in range(0, len(groups), 16):
            logits = group_logits(model, tokenizer, groups[i : i + 16])
            ranks = (logits > logits[:, :1]).sum(dim=1) + 1
            top1 += float((ranks == 1).sum())
            rr += float((1.0 / ranks).sum())
    model.train()
    n = max(len(groups), 1)
    return {"top1": round(top1 / n, 4), "mrr": round(rr / n, 4), "groups": len(groups)}


def train(args) -> dict:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from qa.embeddings import MINILM, resolve_model_path

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    groups = load_groups(args.data, args.work, args.seed)
    train_groups, valid_groups = split_by_week(groups, VALIDATION_SHARE, args.seed)
    print(f"mined {len(groups)} groups: {len(train_groups)} train, {len(valid_groups)} validation")
    base = resolve_model_path(MINILM)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    steps = math.ceil(len(train_groups) / GROUPS_PER_STEP) * args.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    warm = max(1, int(steps * WARMUP))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    state_file = args.work / "checkpoint.pt"
    step = 0
    if state_file.is_file():
        state = torch.load(state_file, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step = state["step"]
        print(f"resumed at step {step} of {steps}")
    order = []
    for epoch in range(args.epochs):
        rng = random.Random(args.seed + epoch)
        idx = list(range(len(train_groups)))
        rng.shuffle(idx)
        order += [idx[i : i + GROUPS_PER_STEP] for i in range(0, len(idx), GROUPS_PER_STEP)]
    print("before training:", validate(model, tokenizer, valid_groups[:200]), flush=True)
    model.train()
    started = last_save = time.time()
    loss_sum = 0.0
    deadline = started + args.minutes * 60
    while step < steps and time.time() < deadline:
        batch = [train_groups[i] for i in order[step]]
        logits = group_logits(model, tokenizer, batch)
        loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        step += 1
        loss_sum += float(loss)
        if step % 25 == 0:
            rate = (time.time() - started) / 25
            print(f"step {step}/{steps} loss {loss_sum / 25:.3f} {rate:.2f} s/step", flush=True)
            loss_sum, started = 0.0, time.time()
        if time.time() - last_save > CHECKPOINT_SECONDS or step == steps:
            _save(state_file, model, optimizer, schedule, step)
            last_save = time.time()
    _save(state_file, model, optimizer, schedule, step)
    figures = validate(model, tokenizer, valid_groups)
    figures.update(step=step, steps=steps, epochs=args.epochs, train_groups=len(train_groups))
    print("validation:", figures, flush=True)
    out = args.work / "model"
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    (out / "training.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def _save(path: Path, model, optimizer, schedule, step: int) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "step": step,
        },
        tmp,
    )
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.train_reader")
    parser.add_argument("--data", type=Path, default=DATA, help="the realtimeqa-train folder")
    parser.add_argument("--work", type=Path, default=WORK, help="mined pairs and checkpoints")
    parser.add_argument("--epochs", type=int, default=1)  # the shipped reader's recipe
    parser.add_argument("--minutes", type=float, default=75, help="stop (and save) after this")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--mine-only", action="store_true", help="mine the pairs and stop")
    args = parser.parse_args(argv)
    if args.mine_only:
        groups = load_groups(args.data, args.work, args.seed)
        print(f"mined {len(groups)} groups from {len({g.question_id for g in groups})} questions")
        return 0
    train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Train the reader: a MiniLM cross-encoder that scores (question, sentence) pairs and
marks the answer span inside the sentence.

    python -m evaluation.reader.train [--data DIR] [--work DIR] [--minutes N]

Starts from the verified all-MiniLM-L6-v2 weights with two fresh heads: one score per pair,
trained by a listwise softmax over a group of one positive and seven negatives from the same
articles, and start/end logits per token, trained on the positive where the gold answer is.
CPU only: short sequences, dynamic padding, a checkpoint every few minutes (a rerun resumes),
a fixed seed. Never run in CI or by the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import time
from pathlib import Path

DATA = Path("../shared/data/realtimeqa-train")
WORK = Path(".reader-train")
SEED = 13
MAX_LENGTH = 96  # question + one sentence: 95 % of pairs fit
MAX_LENGTH_WITH_TITLES = 128  # question + headline + one sentence
GROUPS_PER_STEP = 4  # 4 x 8 = 32 pairs per step
LEARNING_RATE = 4e-5
WARMUP = 0.06
VALIDATION_SHARE = 0.08  # of the quiz weeks, held out whole
CHECKPOINT_SECONDS = 300
SPAN_WEIGHT = 1.0  # of the span loss against the listwise loss
MAX_SPAN_TOKENS = 16  # the longest answer span the validation decodes
IGNORE = -100


def week_of(question_id: str) -> str:
    """The quiz week of a question id: "20220617" for "20220617_3"."""
    return question_id.split("_")[0]


def split_by_week(groups, share: float, seed: int):
    """Train and validation groups; a week's questions stay together (no leak between them)."""
    weeks = sorted({week_of(g.question_id) for g in groups})
    random.Random(seed).shuffle(weeks)
    held = set(weeks[: max(1, round(len(weeks) * share))])
    train = [g for g in groups if week_of(g.question_id) not in held]
    valid = [g for g in groups if week_of(g.question_id) in held]
    return train, valid


def subsample_questions(groups, fraction: float, seed: int):
    """The groups of a random `fraction` of the questions (a learning curve's smaller rungs: a
    question's groups stay together, the held-out weeks are untouched)."""
    questions = sorted({g.question_id for g in groups})
    keep = set(random.Random(seed).sample(questions, max(1, round(len(questions) * fraction))))
    return [g for g in groups if g.question_id in keep]


def load_groups(data: Path, work: Path, seed: int):
    """Mined groups, cached in `work` (mining reads 163 M characters)."""
    from evaluation.reader.data import cached_groups, mine_files

    return cached_groups(
        work / "groups.jsonl",
        lambda: mine_files(data / "questions.jsonl", data / "articles.jsonl.gz", seed=seed),
    )


def answer_span(sentence: str, answers: list[str]) -> tuple[int, int] | None:
    """Character offsets of the first gold answer in the sentence, matched as whole words
    (case, punctuation and articles between words ignored), or None."""
    for answer in answers:
        words = re.findall(r"[A-Za-z0-9]+", answer)
        words = [w for w in words if w.lower() not in ("a", "an", "the")] or words
        if not words:
            continue
        gap = r"[^A-Za-z0-9]+(?:(?:a|an|the)[^A-Za-z0-9]+)?"
        m = re.search(r"\b" + gap.join(map(re.escape, words)) + r"\b", sentence, re.I)
        if m:
            return m.start(), m.end()
    return None


def load_rivals(args, groups):
    """`groups` with `args.rivals` negatives each retrieved from other articles (cached in
    `work`; see evaluation.reader.rivals)."""
    from evaluation.reader.data import cached_groups, read_jsonl
    from evaluation.reader.rivals import add_rivals

    return cached_groups(
        args.work / f"groups-rivals-{args.rivals}.jsonl",
        lambda: add_rivals(
            groups,
            read_jsonl(args.data / "articles.jsonl.gz"),
            read_jsonl(args.data / "questions.jsonl"),
            args.rivals,
        ),
    )


def load_cloze(args, valid_groups):
    """Headline-cloze groups from the training articles (cached in `work`); articles of the
    held-out weeks' questions are left out, so validation stays unseen."""
    from evaluation.reader.data import cached_groups, mine_cloze, read_jsonl

    def mine():
        held = {week_of(g.question_id) for g in valid_groups}
        exclude = {
            a
            for q in read_jsonl(args.data / "questions.jsonl")
            if week_of(q["id"]) in held
            for a in q.get("results") or []
        }
        return mine_cloze(
            read_jsonl(args.data / "articles.jsonl.gz"),
            limit=args.cloze,
            seed=args.seed,
            exclude=exclude,
        )

    return cached_groups(args.work / "cloze.jsonl", mine)


def load_squad_groups(args):
    """SQuAD groups (cached in `work`), shared out over the epochs like the cloze groups."""
    from evaluation.reader.data import cached_groups
    from evaluation.reader.squad import load_squad

    return cached_groups(
        args.work / "squad.jsonl",
        lambda: load_squad(args.squad_data, limit=args.squad_from + args.squad, seed=args.seed)[
            args.squad_from :
        ],
    )


def initial_weights(path: Path) -> dict:
    """The weights a stage starts from: a finished run's model folder, or the checkpoint a
    stage left when it was stopped early (`checkpoint.pt`)."""
    import torch
    from safetensors.torch import load_file

    if path.is_file():
        return torch.load(path, weights_only=False)["model"]
    return load_file(path / "reader.safetensors")


def fewer_negatives(group, keep: int):
    """The group with its first `keep` negatives (the mining puts the hardest first)."""
    from dataclasses import replace

    titles = group.titles[: keep + 1] if group.titles else group.titles
    return replace(group, negatives=group.negatives[:keep], titles=titles)


def build_model(base):
    """MiniLM with a score head on the pooled [CLS] and a start/end head on every token."""
    import torch
    from transformers import AutoModel

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(base)
            hidden = self.bert.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.score = torch.nn.Linear(hidden, 1)
            self.span = torch.nn.Linear(hidden, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            logits = self.score(self.dropout(out.pooler_output)).squeeze(-1)
            start, end = self.span(out.last_hidden_state).unbind(-1)
            # only the sentence's own tokens can hold the answer
            outside = (token_type_ids == 0) | (attention_mask == 0)
            start = start.masked_fill(outside, -1e4)
            end = end.masked_fill(outside, -1e4)
            return logits, start, end

    return Reader()


def encode_groups(tokenizer, groups, *, titles: bool = False, max_length: int = MAX_LENGTH):
    """The pairs of `groups` as one padded batch, and each group's answer-token labels. With
    `titles`, the first segment is the question and the headline of the text's article."""
    from qa.encoders.reader import first_segment

    questions = [
        first_segment(g.question, (g.titles[i] if titles and g.titles else ""))
        for g in groups
        for i in range(1 + len(g.negatives))
    ]
    sentences = [s for g in groups for s in [g.positive, *g.negatives]]
    batch = tokenizer(
        questions,
        sentences,
        truncation="longest_first",
        max_length=max_length,
        padding=True,
        return_tensors="pt",
        return_offsets_mapping=True,
    )
    offsets = batch.pop("offset_mapping").tolist()
    starts, ends, row = [], [], 0
    for g in groups:
        label = (IGNORE, IGNORE)
        span = answer_span(g.positive, g.answers)
        if span is not None:
            ids = batch.sequence_ids(row)
            tokens = [i for i, sid in enumerate(ids) if sid == 1]
            first = [i for i in tokens if offsets[row][i][0] <= span[0] < offsets[row][i][1]]
            last = [i for i in tokens if offsets[row][i][0] < span[1] <= offsets[row][i][1]]
            if first and last and first[0] <= last[-1]:
                label = (first[0], last[-1])
        starts.append(label[0])
        ends.append(label[1])
        row += 1 + len(g.negatives)
    return batch, starts, ends


def group_outputs(model, tokenizer, groups, **encoding):
    """Scores shaped (groups, 1 + negatives), the positives' start/end logits, the labels."""
    import torch

    batch, starts, ends = encode_groups(tokenizer, groups, **encoding)
    logits, start, end = model(**batch)
    sizes = [1 + len(g.negatives) for g in groups]
    grouped = torch.nn.utils.rnn.pad_sequence(
        list(logits.split(sizes)), batch_first=True, padding_value=-1e4
    )
    first_rows = torch.tensor([sum(sizes[:i]) for i in range(len(groups))])
    return (
        grouped,
        start[first_rows],
        end[first_rows],
        torch.tensor(starts),
        torch.tensor(ends),
    )


def best_span(start, end, max_tokens: int = MAX_SPAN_TOKENS) -> tuple[int, int]:
    """The (first, last) token pair with the highest start + end logit, at most max_tokens."""
    import torch

    n = start.shape[-1]
    pair = start[:, None] + end[None, :]
    allowed = torch.ones(n, n, dtype=torch.bool).triu() & ~torch.ones(n, n).triu(max_tokens).bool()
    pair = pair.masked_fill(~allowed, -1e9)
    flat = int(pair.argmax())
    return flat // n, flat % n


def pointwise_loss(grouped):
    """Binary cross-entropy of each pair on its own (the positive 1, each negative 0), so the
    logit's sigmoid is a probability across questions, not only an order within a group."""
    import torch

    target = torch.zeros_like(grouped)
    target[:, 0] = 1.0
    real = grouped > -1e3  # not a padded place of a group with fewer negatives
    return torch.nn.functional.binary_cross_entropy_with_logits(grouped[real], target[real])


def validate(model, tokenizer, groups, **encoding) -> dict[str, float]:
    """Top-1 accuracy (the positive outscores all its negatives), mean reciprocal rank, and
    the share of labelled positives whose decoded span is exactly the answer's tokens."""
    import torch

    model.eval()
    top1 = rr = exact = labelled = 0.0
    with torch.inference_mode():
        for i in range(0, len(groups), 16):
            logits, start, end, starts, ends = group_outputs(
                model, tokenizer, groups[i : i + 16], **encoding
            )
            ranks = (logits > logits[:, :1]).sum(dim=1) + 1
            top1 += float((ranks == 1).sum())
            rr += float((1.0 / ranks).sum())
            for j in range(len(starts)):
                if int(starts[j]) == IGNORE:
                    continue
                labelled += 1
                exact += best_span(start[j], end[j]) == (int(starts[j]), int(ends[j]))
    model.train()
    n = max(len(groups), 1)
    return {
        "top1": round(top1 / n, 4),
        "mrr": round(rr / n, 4),
        "span_exact": round(exact / max(labelled, 1), 4),
        "groups": len(groups),
    }


def train(args) -> dict:
    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    from qa.encoders.embeddings import MINILM, resolve_model_path

    torch.manual_seed(args.seed)  # the fresh heads' initialisation
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    order_seed = args.seed if args.order_seed is None else args.order_seed
    groups = load_groups(args.data, args.work, args.seed)
    train_groups, valid_groups = split_by_week(groups, VALIDATION_SHARE, args.seed)
    valid_rivals = []
    if args.rivals:
        # validation keeps its own-article groups (comparable with earlier runs) and reports
        # the rivalled ones beside them
        train_groups, valid_rivals = split_by_week(
            load_rivals(args, groups), VALIDATION_SHARE, args.seed
        )
    if args.fraction < 1.0:
        train_groups = subsample_questions(train_groups, args.fraction, args.seed)
    print(f"mined {len(groups)} groups: {len(train_groups)} train, {len(valid_groups)} validation")
    cloze = load_cloze(args, valid_groups) if args.cloze else []
    if cloze:
        print(f"headline cloze: {len(cloze)} groups, {len(cloze) // args.epochs} an epoch")
    if args.squad:
        cloze = cloze + load_squad_groups(args)
    if args.squad_only:
        train_groups = []
    if args.negatives is not None:
        train_groups = [fewer_negatives(g, args.negatives) for g in train_groups]
        cloze = [fewer_negatives(g, args.negatives) for g in cloze]
    base = resolve_model_path(MINILM)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = build_model(base)
    if args.init is not None:
        model.load_state_dict(initial_weights(args.init))
        print(f"starting from {args.init}")
    if args.order_seed is not None:
        torch.manual_seed(args.order_seed)  # dropout
    per_epoch = [
        len(train_groups) + len(range(e, len(cloze), args.epochs)) for e in range(args.epochs)
    ]
    steps = sum(math.ceil(n / GROUPS_PER_STEP) for n in per_epoch)
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
        rng = random.Random(order_seed + epoch)
        idx = list(range(len(train_groups)))
        # each epoch reads its own share of the cloze groups (indices after the quiz groups)
        idx += [len(train_groups) + i for i in range(epoch, len(cloze), args.epochs)]
        rng.shuffle(idx)
        order += [idx[i : i + GROUPS_PER_STEP] for i in range(0, len(idx), GROUPS_PER_STEP)]
    pool = train_groups + cloze
    encoding = {"titles": args.titles, "max_length": args.max_length}
    print(
        "before training:", validate(model, tokenizer, valid_groups[:200], **encoding), flush=True
    )
    model.train()
    started = last_save = time.time()
    loss_sum = 0.0
    deadline = started + args.minutes * 60
    while step < steps and time.time() < deadline:
        batch = [pool[i] for i in order[step]]
        logits, start, end, starts, ends = group_outputs(model, tokenizer, batch, **encoding)
        loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long))
        if (starts != IGNORE).any():
            span_loss = (
                torch.nn.functional.cross_entropy(start, starts, ignore_index=IGNORE)
                + torch.nn.functional.cross_entropy(end, ends, ignore_index=IGNORE)
            ) / 2
            loss = loss + SPAN_WEIGHT * span_loss
        if args.pointwise:
            loss = loss + args.pointwise * pointwise_loss(logits)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        step += 1
        loss_sum += float(loss.detach())
        if step % 25 == 0:
            rate = (time.time() - started) / 25
            print(f"step {step}/{steps} loss {loss_sum / 25:.3f} {rate:.2f} s/step", flush=True)
            loss_sum, started = 0.0, time.time()
        if time.time() - last_save > CHECKPOINT_SECONDS or step == steps:
            _save(state_file, model, optimizer, schedule, step)
            last_save = time.time()
    _save(state_file, model, optimizer, schedule, step)
    figures = validate(model, tokenizer, valid_groups, **encoding)
    if valid_rivals:
        figures["with_rivals"] = validate(model, tokenizer, valid_rivals, **encoding)
    figures.update(step=step, steps=steps, epochs=args.epochs, train_groups=len(train_groups))
    figures.update(encoding, pointwise=args.pointwise, cloze_groups=len(cloze))
    figures.update(seed=args.seed, order_seed=order_seed, fraction=args.fraction)
    figures.update(
        squad_groups=args.squad,
        squad_from=args.squad_from,
        squad_only=args.squad_only,
        negatives=args.negatives,
    )
    figures.update(init=str(args.init) if args.init else None, rivals=args.rivals)
    print("validation:", figures, flush=True)
    out = args.work / "model"
    out.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, out / "reader.safetensors"
    )
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
    parser = argparse.ArgumentParser(prog="python -m evaluation.reader.train")
    parser.add_argument("--data", type=Path, default=DATA, help="the realtimeqa-train folder")
    parser.add_argument("--work", type=Path, default=WORK, help="mined pairs and checkpoints")
    parser.add_argument("--epochs", type=int, default=2)  # the shipped reader's recipe
    parser.add_argument("--minutes", type=float, default=75, help="stop (and save) after this")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--order-seed",
        type=int,
        default=None,
        help="seed of the training order and dropout only (default: --seed); mining, the "
        "held-out weeks and the heads' initialisation keep --seed, so runs can be averaged",
    )
    parser.add_argument(
        "--titles", action="store_true", help="read each text with its article's headline"
    )
    parser.add_argument("--max-length", type=int, default=None, help="tokens per pair")
    parser.add_argument(
        "--pointwise",
        type=float,
        default=0.0,
        help="weight of a per-pair binary cross-entropy added to the listwise loss",
    )
    parser.add_argument(
        "--cloze",
        type=int,
        default=0,
        help="add this many headline-cloze groups from the articles, shared out over the epochs",
    )
    parser.add_argument(
        "--fraction",
        type=float,
        default=1.0,
        help="train on this share of the training questions (a learning curve); validation "
        "is unchanged",
    )
    parser.add_argument(
        "--squad",
        type=int,
        default=0,
        help="add this many SQuAD v1.1 groups (one per question), shared out over the epochs",
    )
    parser.add_argument(
        "--squad-from",
        type=int,
        default=0,
        help="skip the first K groups that --squad K would train on (a larger rung that "
        "continues a smaller one with --init sees only new questions)",
    )
    parser.add_argument("--squad-data", type=Path, default=None, help="the SQuAD train JSONL")
    parser.add_argument(
        "--squad-only", action="store_true", help="train on the SQuAD groups alone (stage one)"
    )
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from this run's model folder or checkpoint.pt (stage two)",
    )
    parser.add_argument(
        "--negatives", type=int, default=None, help="keep this many negatives a group"
    )
    parser.add_argument(
        "--rivals",
        type=int,
        default=0,
        help="replace this many negatives a group with sentences of other articles that a "
        "BM25 search for the question finds (the answerer's usual rivals)",
    )
    parser.add_argument("--mine-only", action="store_true", help="mine the pairs and stop")
    args = parser.parse_args(argv)
    if not 0.0 < args.fraction <= 1.0:
        parser.error(f"--fraction {args.fraction:g}: give a share of the questions in (0, 1]")
    if args.squad_data is None:
        from evaluation.reader.squad import SQUAD

        args.squad_data = SQUAD
    if args.squad_only and not args.squad:
        parser.error("--squad-only needs --squad N: the number of SQuAD groups to train on")
    if args.max_length is None:
        args.max_length = MAX_LENGTH_WITH_TITLES if args.titles else MAX_LENGTH
    if args.mine_only:
        groups = load_groups(args.data, args.work, args.seed)
        print(f"mined {len(groups)} groups from {len({g.question_id for g in groups})} questions")
        if args.rivals:
            rivalled = load_rivals(args, groups)
            changed = sum(r.negatives != g.negatives for r, g in zip(rivalled, groups, strict=True))
            print(f"{changed} groups took rivals from other articles")
        return 0
    train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

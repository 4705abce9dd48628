"""`python -m evaluation.bench.dumps`: ingesting dumps, measured.

The preview of a big dump (`--dry-run`), peak RSS against dump size, and resuming an ingest
killed half-way, each in a `python -m ingest` subprocess of its own. Dumps repeat the real
articles with reworded copies, so the syndicated-copy detector does not merge them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from evaluation.bench.report import DUMPS_HEADING, machine
from qa.config import Settings
from qa.errors import StoreError
from qa.store import NewsIndex

DEFAULT_DATA = "../shared/data/realtimeqa-dev/articles.jsonl"
REWORD_EVERY = 4  # tagging every 4th word changes about 3 in 4 word shingles: no longer a copy
RESUME_POLL_S = 1.0
MB = 1024 * 1024

# The dump targets; reported, never asserted.
TARGET_DRY_RUN_RSS_MB = 600
TARGET_RSS_GROWTH = 0.20


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m evaluation.bench.dumps", description=__doc__.splitlines()[0]
    )
    p.add_argument("--data", default=DEFAULT_DATA, help="real articles (.jsonl) to repeat")
    p.add_argument("--dump-mb", type=float, default=1024, help="size of the previewed dump")
    p.add_argument("--small-mb", type=float, default=2.5, help="the smaller ingested dump")
    p.add_argument("--large-mb", type=float, default=25, help="the larger ingested dump")
    p.add_argument("--resume-mb", type=float, default=2.5, help="the dump interrupted at half")
    p.add_argument(
        "--only", choices=("preview", "memory", "resume"), action="append", help="run just these"
    )
    p.add_argument("--report", help="write the results into this markdown file's dump section")
    p.add_argument("--workdir", help="keep dumps and stores here (default: a temporary folder)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    argv = argv if argv is not None else sys.argv[1:]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="newsqa-dumps-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args, work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    if args.report:
        write_report(Path(args.report), result, argv)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def run(args: argparse.Namespace, work: Path) -> dict:
    data = Path(args.data)
    parts = args.only or ["preview", "memory", "resume"]
    result: dict = {"machine": machine() | {"load_average_before": round(os.getloadavg()[0], 2)}}
    if "memory" in parts:
        result["memory"] = [
            measure_ingest(make_dump(data, mb, work / f"dump-{mb}mb.jsonl"), work / f"store-{mb}")
            for mb in (args.small_mb, args.large_mb)
        ]
    if "resume" in parts:
        result["resume"] = measure_resume(
            make_dump(data, args.resume_mb, work / "resume.jsonl"), work / "store-resume"
        )
    if "preview" in parts:  # last: the ingests above record the throughput it estimates with
        result["preview"] = measure_preview(make_dump(data, args.dump_mb, work / "big.jsonl"), work)
    return result


def _log(message: str) -> None:
    print(f"[{datetime.now(UTC).strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- dumps ---------------------------------------------------------------------------------


def make_dump(data: Path, megabytes: float, out: Path) -> Path:
    """A JSONL of about `megabytes` MB: the real articles in order, then again as copies."""
    target = int(megabytes * MB)
    if out.exists() and out.stat().st_size >= target:
        return out
    items = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line]
    written = 0
    with out.open("w", encoding="utf-8") as f:
        copy = 0
        while written < target:
            for item in items:
                line = json.dumps(_copy_of(item, copy) if copy else item, ensure_ascii=False)
                f.write(line + "\n")
                written += len(line.encode("utf-8")) + 1
                if written >= target:
                    break
            copy += 1
    _log(f"made {out.name}: {written / MB:.1f} MB")
    return out


def _copy_of(item: dict, copy: int) -> dict:
    """The article under a new id and URL, every REWORD_EVERY-th word tagged with `copy`."""
    words = item.get("text", "").split(" ")
    tag = str(copy)
    words[REWORD_EVERY - 1 :: REWORD_EVERY] = [
        w + tag for w in words[REWORD_EVERY - 1 :: REWORD_EVERY]
    ]
    copied = dict(item, id=f"{item.get('id', 'article')}-copy{copy}", text=" ".join(words))
    if item.get("url"):
        copied["url"] = f"{item['url']}?copy={copy}"
    return copied


# --- measurements --------------------------------------------------------------------------


def _measured(argv: Sequence[str], **popen) -> tuple[float, float, str]:
    """Run `python -m ingest ARGV` in a fresh process; (seconds, its peak RSS MB, stdout)."""
    # A middle process waits for the ingest and reports RUSAGE_CHILDREN, which then holds
    # that one child's peak; this process's own children would be mixed in.
    wrapper = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)\n"
        "sys.stdout.write(r.stdout)\n"
        "print('\\nRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "ingest", *argv, "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
        check=False,
        **popen,
    ).stdout
    seconds = time.perf_counter() - started
    body, _, rss = out.rpartition("\nRSS_KB ")
    return seconds, int(rss) / 1024, body


def _env() -> dict[str, str]:
    return os.environ | {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def measure_preview(dump: Path, work: Path) -> dict:
    _log(f"previewing {dump.name} ({dump.stat().st_size / MB:.0f} MB) with --dry-run")
    seconds, rss, out = _measured(
        [str(dump), "--dry-run", "--json", "--store", str(work / "empty")]
    )
    preview = json.loads(out.strip().splitlines()[-1])
    articles = sum(preview[k] for k in ("added", "updated", "unchanged", "duplicates"))
    return {
        "dump_mb": round(dump.stat().st_size / MB, 1),
        "articles": articles + len(preview["failed"]),
        "failed": len(preview["failed"]),
        "chunks": preview["chunks"],
        "seconds": round(seconds, 1),
        "articles_per_s": preview["articles_per_s"],
        "peak_rss_mb": round(rss),
        "embed_chunks_per_s": preview["embed_chunks_per_s"],
        "estimated_embedding_s": preview["estimated_embedding_s"],
    }


def measure_ingest(dump: Path, store: Path) -> dict:
    shutil.rmtree(store, ignore_errors=True)
    _log(f"ingesting {dump.name} into a fresh store")
    seconds, rss, out = _measured([str(dump), "--json", "--store", str(store)])
    summary = json.loads(out.strip().splitlines()[-1])
    return {
        "dump_mb": round(dump.stat().st_size / MB, 1),
        "added": summary["added"],
        "failed": len(summary["failed"]),
        "chunks": summary["chunks_total"],
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(rss),
    }


def measure_resume(dump: Path, store: Path) -> dict:
    """SIGKILL an ingest of `dump` once half its articles are stored, then run it again."""
    shutil.rmtree(store, ignore_errors=True)
    total = sum(1 for line in dump.open(encoding="utf-8") if line.strip())
    _log(f"ingesting {dump.name} ({total} articles), to be killed at half")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", str(dump), "--store", str(store), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    stored = 0
    while proc.poll() is None and stored < total // 2:
        time.sleep(RESUME_POLL_S)
        stored = _stored_articles(store)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first_s = time.perf_counter() - started
    stored = _stored_articles(store)
    _log(f"killed with {stored} articles stored; running it again")
    seconds, _, out = _measured([str(dump), "--json", "--store", str(store)])
    summary = json.loads(out.strip().splitlines()[-1])
    return {
        "articles": total,
        "stored_when_killed": stored,
        "first_run_s": round(first_s, 1),
        "rerun_added": summary["added"] + summary["updated"],
        "rerun_unchanged": summary["unchanged"],
        "rerun_duplicates": summary["duplicates"],
        "rerun_failed": len(summary["failed"]),
        "rerun_s": round(seconds, 1),
        "articles_total": summary["articles_total"],
    }


def _stored_articles(store: Path) -> int:
    """Complete articles in `store`, read without writing to it (as --dry-run reads)."""
    try:
        return len(NewsIndex(Settings(store_dir=store)).stored_versions())
    except StoreError:  # the ingest has not made its tables yet
        return 0


# --- report --------------------------------------------------------------------------------


def targets(result: dict) -> list[str]:
    rows = []
    if p := result.get("preview"):
        ok = p["peak_rss_mb"] <= TARGET_DRY_RUN_RSS_MB
        rows.append(
            f"| --dry-run of a {p['dump_mb']:,.0f} MB dump: peak RSS <= "
            f"{TARGET_DRY_RUN_RSS_MB} MB | {p['peak_rss_mb']} MB, {p['articles_per_s']:.0f} "
            f"articles/s | {'met' if ok else '**missed**'} |"
        )
    if m := result.get("memory"):
        small, large = m
        growth = large["peak_rss_mb"] / small["peak_rss_mb"] - 1
        whole = large["failed"] == 0 and large["added"] > 0
        ok = whole and growth <= TARGET_RSS_GROWTH
        rows.append(
            f"| {large['dump_mb']} MB dump ingests whole, peak RSS within 20 % of a "
            f"{small['dump_mb']} MB dump's | {large['peak_rss_mb']} MB vs {small['peak_rss_mb']} "
            f"MB ({growth:+.0%}), {large['failed']} failed | {'met' if ok else '**missed**'} |"
        )
    if r := result.get("resume"):
        # A line of the dump that repeats an earlier article is a duplicate in both runs.
        duplicates = r.get("rerun_duplicates", 0)
        ok = r["rerun_added"] + duplicates == r["articles"] - r["stored_when_killed"]
        rows.append(
            f"| re-run after a kill at half embeds only the rest | {r['rerun_added']} embedded, "
            f"{r['rerun_unchanged']} skipped as stored, {duplicates} as duplicates, of "
            f"{r['articles']}; first run {r['first_run_s']} s "
            f"(killed), re-run {r['rerun_s']} s | {'met' if ok else '**missed**'} |"
        )
    return rows


def write_report(path: Path, result: dict, argv: Sequence[str]) -> None:
    """Replace the dump section of `path` (from DUMPS_HEADING to the end) with these results;
    `python -m evaluation.bench --report` keeps that section when it rewrites the rest."""
    m = result["machine"]
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    head = old.split(DUMPS_HEADING, 1)[0].rstrip("\n")
    lines = [
        DUMPS_HEADING,
        "",
        f"Generated by `python -m evaluation.bench.dumps {' '.join(argv)}` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {m['cpu']}, {m['cores']} cores; "
        f"1-minute load average {m['load_average_before']} before (other work slows every "
        "figure; memory is not affected). Dumps repeat the development articles under new ids, "
        f"every {REWORD_EVERY}th word of a copy tagged so that copies are not merged as "
        "syndicated duplicates. Peak RSS is that of the `python -m ingest` process.",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *targets(result),
        "",
        "```json",
        json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1),
        "```",
        "",
    ]
    path.write_text(f"{head}\n\n" + "\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

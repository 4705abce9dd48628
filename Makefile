# The README's commands. Every target sets up the venv first (idempotent, fast when done).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-stamp
ONNX_MINILM := $(VENV)/share/newsqa/all-MiniLM-L6-v2.int8.onnx
DATA ?= ../shared/data
PORT ?= 8501
SAMPLE := ingest/samples/putin-ready-for-talks-in-minsk.txt
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test check types ingest eval eval-heldout bench bench-dumps lint format train-reader

# Retrain the shipped reader (about 5 hours on 2 cores), then export it to
# qa/encoders/reader_model/ (8-bit ONNX + .sha256 files): 10,000 SQuAD groups, 20,000 more, the
# other 54,854, then the news quizzes with rivals from other weeks. Each stage checkpoints every
# 5 minutes and resumes where it stopped: rerun the target after an interruption. Never run by
# CI or the tests.
READER_WORK ?= .reader-train
TRAIN := $(PY) -m evaluation.reader.train --data $(DATA)/realtimeqa-train --minutes 600
train-reader: setup
	$(PIP) install -q -e '.[dev,train]'
	$(TRAIN) --work $(READER_WORK)/squad-10k --squad 10000 --squad-only --negatives 4
	$(TRAIN) --work $(READER_WORK)/squad-30k --squad 20000 --squad-from 10000 --squad-only \
		--negatives 4 --init $(READER_WORK)/squad-10k/model
	$(TRAIN) --work $(READER_WORK)/squad-all --squad 60000 --squad-from 30000 --squad-only \
		--negatives 4 --init $(READER_WORK)/squad-30k/model
	$(TRAIN) --work $(READER_WORK)/news --rivals 3 --init $(READER_WORK)/squad-all/model
	$(PY) -W ignore -m evaluation.reader.export --model $(READER_WORK)/news/model \
		--groups $(READER_WORK)/news/groups.jsonl --out qa/encoders/reader_model

setup: $(STAMP) $(ONNX_MINILM)

# torch first, pinned: that version's CPU wheel is on disk; any other request pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# The question path embeds with ONNX Runtime, no torch: export the verified weights once.
$(ONNX_MINILM): $(STAMP)
	$(PY) -W ignore -m qa.encoders.onnx_embeddings

run: setup
	$(PY) -m ingest $(SAMPLE) --if-empty --title "Putin ready for talks in Minsk" \
		--source "Sample article" --published 2022-02-25
	$(PY) app.py --server.port $(PORT)

# What CI runs (.ci/run): lint, format, types, then the tests; the first to fail stops it.
test: check
	$(PY) -m pytest

# The quick part of `make test` (seconds): ruff's lint and format check, then mypy.
check: lint types

types: setup
	$(VENV)/bin/mypy

ingest: setup
	$(PY) -m ingest $(SOURCES)

eval: setup
	$(PY) -m evaluation.eval --articles $(DATA)/realtimeqa-dev/articles.jsonl \
		--questions $(DATA)/realtimeqa-dev/questions.jsonl --store .eval-store \
		--ablation --report docs/eval.md

# The same measurement on other weeks: those the reader's training left out (about 25 minutes).
eval-heldout: setup
	$(PY) -m evaluation.reader.heldout --data $(DATA)/realtimeqa-train --out .heldout
	$(PY) -m evaluation.eval --articles .heldout/articles.jsonl \
		--questions .heldout/questions.jsonl --store .heldout-store \
		--ablation --report docs/eval-heldout.md

bench: setup
	$(PY) -m evaluation.bench --data $(DATA)/realtimeqa-dev/articles.jsonl --report docs/benchmarks.md

# The dump targets: a ~1 GB --dry-run, 2.5 vs 25 MB ingests, a resumed ingest (hours on 2 cores).
bench-dumps: setup
	$(PY) -m evaluation.bench.dumps --data $(DATA)/realtimeqa-dev/articles.jsonl --report docs/benchmarks.md

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

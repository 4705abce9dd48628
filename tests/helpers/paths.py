"""The one place the tests name where things are."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
APP = REPO / "app.py"
SAMPLE = FIXTURES / "putin-ready-for-talks-in-minsk.txt"
# The tiny evaluation set: a few articles and questions in the benchmark's own format.
EVAL_ARTICLES = FIXTURES / "eval_articles.jsonl"
EVAL_QUESTIONS = FIXTURES / "eval_questions.jsonl"

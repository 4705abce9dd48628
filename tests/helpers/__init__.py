"""What the tests share, each defined once; conftest.py keeps only the fixtures.

paths: REPO, FIXTURES, APP and the sample article's file.
articles: the sample, tricky and news-store articles, and the templated bridge articles.
stores: stores built from them, and an altered copy of the shipped reader.
loading: loading sources in one call, and the one-line failure checks.
web: the one local HTTP server (LocalSite), its route helpers and the local news site.
chat: the OpenAI-compatible stand-in LLM, served by the same server.
commands: subprocess environments, the CLIs run in-process, ingest children.
page: the chat page in AppTest, and the one headless Chromium.
"""

"""The benchmarks behind `make bench` and `make bench-dumps`: ingest, questions, the page, large stores, dumps, and their report."""

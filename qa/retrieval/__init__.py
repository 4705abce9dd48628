"""Finding passages: what a question asks about (dates, outlets) and hybrid dense + BM25 search."""

"""The models that read text: the embedding model (torch for ingest, ONNX Runtime for questions), the trained reader and the optional reranker."""

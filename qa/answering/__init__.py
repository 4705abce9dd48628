"""From passages to an answer: the extractive answerer, the optional LLM, timelines, and the one path a question takes."""

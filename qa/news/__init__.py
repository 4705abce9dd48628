"""News knowledge without models or storage: dates, sentences, who said what, and citations."""

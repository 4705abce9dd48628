"""The dense and lexical rankings' shared parts: picking a ranking's best rows, and the inverted
lists a large store's dense ranking reads instead of every row."""

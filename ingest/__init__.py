"""newsqa's writing side: load sources, clean, chunk, and upsert into the store."""

"""newsqa's reading side: configuration, the store, retrieval and answers."""

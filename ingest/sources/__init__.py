"""Where articles come from: files, folders, stdin, JSON dumps, web pages and feeds, each read into `Article`s by one door, `load_sources`."""

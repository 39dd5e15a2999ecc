"""I/O around the sans-IO core: storage (SQLite) and the JSON-over-HTTP binding; XML codecs later."""

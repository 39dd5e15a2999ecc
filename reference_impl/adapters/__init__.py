"""I/O around the sans-IO core: storage (SQLite) now; HTTP and XML codecs later."""

"""The hashing engine: files in, signals out (one file at a time, or many across cores)."""

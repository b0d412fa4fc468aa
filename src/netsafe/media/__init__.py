"""Media sources and what their bytes are (content sniffing)."""

"""The hotline: public reports of URLs, capture, assessment, host tracing, notice and takedown, monitoring."""

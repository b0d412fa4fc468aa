"""Server-rendered pages (Jinja2 + htmx from the package)."""

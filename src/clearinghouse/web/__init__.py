"""Server-rendered pages for people: Jinja2 templates, one stylesheet, no JavaScript."""

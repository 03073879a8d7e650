"""Read-only archive browser: server-rendered pages (Starlette + Jinja2), no JavaScript build step."""

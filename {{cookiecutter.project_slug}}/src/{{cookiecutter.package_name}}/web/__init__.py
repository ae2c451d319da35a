"""The web-facing glue: everything that knows FastAPI or Starlette (the dependencies routes use,
the error handlers, middleware, OpenAPI, conditional requests, metrics, the HTTP protocol).

`core/` (errors, config, the unit of work, repositories, security...) imports no web framework,
and neither do services, repositories, models and schemas: an import-linter contract holds
that, through indirect imports too (see pyproject.toml and docs/decisions).
"""

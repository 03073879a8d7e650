"""Scrapy internals the crawl relies on: looked up so that a Scrapy without them fails the crawl loudly."""

from __future__ import annotations

from typing import Any

import scrapy

# tests/unit/crawler/test_scrapy_internals.py checks each internal against the installed Scrapy.
PIN = "pyproject.toml pins the Scrapy versions tested"


class ScrapyInternalsMissing(RuntimeError):
    """The installed Scrapy lacks an internal the crawl relies on; str() names it and who needs it."""


def missing(what: str, user: str) -> ScrapyInternalsMissing:
    """Return the error saying the installed Scrapy lacks ``what``, which ``user`` relies on."""
    version = scrapy.__version__
    return ScrapyInternalsMissing(f"Scrapy {version} has no {what}, which {user} relies on ({PIN})")


def internal(owner: Any, name: str, user: str) -> Any:
    """Return ``owner.<name>``, an internal of Scrapy's that ``user`` relies on.

    Raises ScrapyInternalsMissing when the installed Scrapy no longer has it.
    """
    try:
        return getattr(owner, name)
    except AttributeError:
        where = owner.__name__ if isinstance(owner, type) else type(owner).__name__
        raise missing(f"{where}.{name}", user) from None

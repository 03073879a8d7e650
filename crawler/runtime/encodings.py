"""Content encodings the crawl can undo: brotli from a module that works, and only what decodes is asked for.

pywb (a dev dependency) pulls in brotlipy, whose ``brotli/`` package shadows Google's ``brotli.py`` in the
same site-packages; Scrapy imports ``brotli`` and calls ``Decompressor().process``, which brotlipy lacks,
so every br response failed with an AttributeError while ``Accept-Encoding: br`` was still sent. The
project depends on Google's ``brotli`` explicitly; when the name ``brotli`` is shadowed its C extension
``_brotli`` (installed beside it by the same wheel) is used, else brotlicffi. When none decodes, ``br``
is no longer advertised, so a portal answers in an encoding the crawl can read.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import logging
from types import ModuleType
from typing import Any

from scrapy.downloadermiddlewares import httpcompression
from scrapy.utils import _compression

logger = logging.getLogger(__name__)

# Modules that may provide a streaming brotli decompressor, best first: the name Scrapy imports, Google's
# C extension ``_brotli`` (found on sys.path itself: brotlipy registers its own cffi module under that
# name in sys.modules), and brotlicffi.
BROTLI_CANDIDATES = ("brotli", "_brotli", "brotlicffi")


def _load(name: str) -> ModuleType | None:
    if name == "_brotli":
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _streams(module: ModuleType) -> bool:
    """Whether ``module`` decodes as Scrapy asks (Decompressor.process, is_finished), tried on data."""
    decompressor_class = getattr(module, "Decompressor", None)
    if decompressor_class is None or not hasattr(decompressor_class, "process"):
        return False
    try:
        decompressor = decompressor_class()
        # The brotli stream of b"ok".
        return bool(decompressor.process(b"\x8b\x00\x80ok\x03") == b"ok" and decompressor.is_finished())
    except Exception:  # noqa: BLE001 - a module that fails here is simply not used
        return False


def working_brotli() -> ModuleType | None:
    """Return the first importable brotli module that decodes as Scrapy needs, or None."""
    for name in BROTLI_CANDIDATES:
        module = _load(name)
        if module is not None and _streams(module):
            return module
    return None


def install() -> str | None:
    """Make Scrapy's brotli decoding use a working module; return its name, or None after taking ``br``
    out of the Accept-Encoding Scrapy sends (nothing decodes it)."""
    module = working_brotli()
    if module is None:
        if b"br" in httpcompression.ACCEPTED_ENCODINGS:
            httpcompression.ACCEPTED_ENCODINGS.remove(b"br")
        logger.warning("no working brotli module: br is not asked for")
        return None
    _compression.brotli = module  # Scrapy reads it when a br body arrives
    if b"br" not in httpcompression.ACCEPTED_ENCODINGS:
        httpcompression.ACCEPTED_ENCODINGS.append(b"br")
    return module.__name__


class ContentEncodings:
    """Extension that installs the working brotli module when the crawl starts (and logs which)."""

    def __init__(self, module: str | None) -> None:
        self.module = module

    @classmethod
    def from_crawler(cls, crawler: Any) -> ContentEncodings:
        module = install()
        logger.debug("brotli decoding by %s", module)
        return cls(module)

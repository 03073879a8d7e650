"""Fixtures of the browser tests: the sample archive of the archivist commands."""

from tests.unit.archive_sample import sample

__all__ = ["sample"]

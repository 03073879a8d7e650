"""Fixtures of the unit tests: the sample archive of the archivist commands."""

from tests.unit.archive_sample import sample

__all__ = ["sample"]

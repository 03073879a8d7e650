"""What a search or an export looks among: the filters (portal, dates, language, status, author, category)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Article, CaptureStatus, Portal
from storage.text import normalize_text, strip_diacritics

# The lowercase Vietnamese letters with diacritics and their bare letters: PostgreSQL folds a column with
# translate(lower(...)); SQLite calls the Python functions storage.db registers on every connection.
_ACCENTED = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
_BARE = strip_diacritics(_ACCENTED)

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class SearchFilters:
    """What to search among. Empty tuples mean any; ``statuses`` defaults to archived articles only.

    ``since`` (inclusive) and ``until`` (exclusive) are tz-aware instants compared with published_at;
    ``author`` matches a part of the author, ``category`` one of the article's categories whole; both
    ignore case and follow search's rule that accents are optional: typed without diacritics they
    match every spelling (``duc`` finds "Đức"), typed with them only that spelling.
    """

    portals: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    languages: tuple[str, ...] = ()
    statuses: tuple[str, ...] = (CaptureStatus.ARCHIVED.value,)
    author: str | None = None
    category: str | None = None


def filter_articles(statement: SelectT, filters: SearchFilters, dialect: str) -> SelectT:
    """Restrict an article query (outer-joined to Portal) to ``filters``; ``dialect`` names the database."""
    if filters.statuses:
        statement = statement.where(Article.status.in_(filters.statuses))
    if filters.portals:  # by id: no join to portals, so the database keeps its order of tables
        statement = statement.where(
            Article.portal_id.in_(select(Portal.id).where(Portal.key.in_(filters.portals)))
        )
    if filters.languages:
        statement = statement.where(Article.language.in_(filters.languages))
    if filters.since is not None:
        statement = statement.where(Article.published_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(Article.published_at < filters.until)
    if filters.author:
        column, typed = _comparable(Article.author, filters.author, dialect)
        statement = statement.where(column.contains(typed, autoescape=True))
    if filters.category:
        statement = statement.where(_has_category(filters.category, dialect))
    return statement


def _comparable(
    column: ColumnElement[Any] | InstrumentedAttribute[Any], typed: str, dialect: str
) -> tuple[ColumnElement[Any], str]:
    """Return ``column`` and ``typed`` in the form they are compared in: lowercase, and without
    diacritics when ``typed`` has none (accents optional, as in search)."""
    text = normalize_text(typed).lower()
    bare = strip_diacritics(text)
    if bare != text:  # typed with diacritics: that spelling only
        return (func.lower(column) if dialect == "postgresql" else func.newsarchive_lower(column)), text
    if dialect == "postgresql":
        return func.translate(func.lower(column), _ACCENTED, _BARE), bare
    return func.newsarchive_bare(column), bare


def _has_category(category: str, dialect: str) -> ColumnElement[bool]:
    # categories is a JSON list; each database has its own function to look inside one.
    function = func.json_array_elements_text if dialect == "postgresql" else func.json_each
    elements = function(Article.categories).table_valued("value")
    value, typed = _comparable(elements.c.value, category, dialect)
    return exists(select(literal(1)).select_from(elements).where(value == typed))

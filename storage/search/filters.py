"""What a search or an export looks among: the filters (portal, dates, language, status, author, category)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, literal, select

from storage.models import Article, CaptureStatus, Portal

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class SearchFilters:
    """What to search among. Empty tuples mean any; ``statuses`` defaults to archived articles only.

    ``since`` (inclusive) and ``until`` (exclusive) are tz-aware instants compared with published_at;
    ``author`` matches a part of the author (case-insensitive for ASCII letters); ``category`` one of
    the article's categories exactly.
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
        statement = statement.where(Article.author.ilike(f"%{_escape_like(filters.author)}%", escape="\\"))
    if filters.category:
        statement = statement.where(_has_category(filters.category, dialect))
    return statement


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_category(category: str, dialect: str) -> ColumnElement[bool]:
    # categories is a JSON list; each database has its own function to look inside one.
    function = func.json_array_elements_text if dialect == "postgresql" else func.json_each
    elements = function(Article.categories).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(elements.c.value == category))

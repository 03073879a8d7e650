"""Citations of one archived article version: plain text, BibTeX and CSL-JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from storage.captures import capture_source
from storage.models import Article, ArticleVersion, Capture
from storage.timezone import VN_TZ, human_date, human_datetime

STYLES = ("plain", "bibtex", "csl-json")
ARCHIVE_NAME = "newsarchive"


@dataclass(frozen=True)
class Citation:
    """What a citation names: the paper, the article as published, and the archived copy cited."""

    article_id: int
    version: int
    paper: str | None
    title: str | None
    author: str | None
    published_at: datetime | None
    url: str
    captured_at: datetime
    capture_id: int | None
    source: str | None = None  # where the cited capture came from, when not the archive's own crawl

    @property
    def key(self) -> str:
        return f"{ARCHIVE_NAME}-{self.article_id}-v{self.version}"


def citation_for(session: Session, article: Article, version: int | None = None) -> Citation:
    """Return the citation of ``article`` at ``version`` (default: its current version).

    Raises LookupError when the article has no such version.
    """
    number = article.version if version is None else version
    row = session.query(ArticleVersion).filter_by(article_id=article.id, version=number).one_or_none()
    if row is None and version is not None:
        known = ", ".join(str(v.version) for v in article.versions) or "none"
        raise LookupError(f"article {article.id} has no version {version} (versions: {known})")
    return Citation(
        article_id=article.id,
        version=number,
        paper=article.portal.name if article.portal else article.site_name,
        title=row.title if row is not None else article.title,
        author=article.author,
        published_at=(row.published_at if row is not None else None) or article.published_at,
        url=article.canonical_url or article.url,
        captured_at=row.captured_at if row is not None else article.captured_at,
        capture_id=row.capture_id if row is not None else None,
        source=_source(session, row.capture_id if row is not None else None),
    )


def _source(session: Session, capture_id: int | None) -> str | None:
    """The source of an imported or backfilled capture (None for the archive's own crawl)."""
    capture = session.get(Capture, capture_id) if capture_id is not None else None
    if capture is None or not capture.provenance:
        return None
    return capture_source(capture.provenance)


def _archived(c: Citation) -> str:
    """The "Archived <when>" of a citation, naming the capture's source when someone else made it."""
    captured = c.captured_at.astimezone(VN_TZ)
    return f"Archived {captured.isoformat()}" + (f" from {c.source}" if c.source else "")


def plain(c: Citation) -> str:
    """Return a one-paragraph citation: author, title, paper, date (day first), URL, archived copy."""
    parts = []
    if c.author:
        parts.append(f"{c.author}.")
    parts.append(f"“{c.title or '(untitled)'}”.")
    if c.paper:
        parts.append(f"{c.paper},")
    parts.append(f"{human_date(c.published_at)}." if c.published_at else "undated.")
    parts.append(f"{c.url}.")
    # As every date for people is printed (GMT+7, the zone's offset at that instant), not "(UTC+7)".
    captured = human_datetime(c.captured_at)
    source = f" from {c.source}" if c.source else ""
    parts.append(f"Archived {captured}{source}, {ARCHIVE_NAME} article {c.article_id}, version {c.version}.")
    return " ".join(parts)


_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}~^\\])")


def _bibtex_escape(text: str) -> str:
    replacements = {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
    return _BIBTEX_SPECIAL.sub(lambda m: replacements.get(m.group(1), "\\" + m.group(1)), text)


def bibtex(c: Citation) -> str:
    """Return a biblatex ``@online`` entry (UTF-8; names braced so they are not split as Western names)."""
    fields = [("title", _bibtex_escape(c.title or "(untitled)"))]
    if c.author:
        fields.append(("author", "{" + _bibtex_escape(c.author) + "}"))
    if c.paper:
        fields.append(("journaltitle", _bibtex_escape(c.paper)))
    if c.published_at:
        fields.append(("date", c.published_at.astimezone(VN_TZ).date().isoformat()))
    fields += [
        ("url", c.url),
        ("urldate", c.captured_at.astimezone(VN_TZ).date().isoformat()),
        ("note", _bibtex_escape(
            f"{_archived(c)}, {ARCHIVE_NAME} article {c.article_id}, version {c.version}"
        )),
    ]  # fmt: skip
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@online{{{c.key},\n{body}\n}}"


def _date_parts(value: datetime) -> dict[str, list[list[int]]]:
    local = value.astimezone(VN_TZ)
    return {"date-parts": [[local.year, local.month, local.day]]}


def csl_json(c: Citation) -> str:
    """Return a CSL-JSON array with one ``article-newspaper`` item (Zotero, Pandoc citeproc)."""
    item: dict[str, object] = {"id": c.key, "type": "article-newspaper", "title": c.title or "(untitled)"}
    if c.paper:
        item["container-title"] = c.paper
    if c.author:
        item["author"] = [{"literal": c.author}]
    if c.published_at:
        item["issued"] = _date_parts(c.published_at)
    item["URL"] = c.url
    item["accessed"] = _date_parts(c.captured_at)
    item["archive"] = ARCHIVE_NAME
    item["archive_location"] = f"article {c.article_id}, version {c.version}"
    item["note"] = _archived(c)
    return json.dumps([item], ensure_ascii=False, indent=2)


def render(c: Citation, style: str) -> str:
    """Return ``c`` in ``style`` (one of STYLES). Raises ValueError for another style."""
    if style == "plain":
        return plain(c)
    if style == "bibtex":
        return bibtex(c)
    if style == "csl-json":
        return csl_json(c)
    raise ValueError(f"unknown citation style {style!r} (choose from {', '.join(STYLES)})")

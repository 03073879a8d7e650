"""The archive browser's routes: search, article, versions and diffs, captured page, portals, runs."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from storage.captures import capture_body
from storage.db import open_archive
from storage.export import records
from storage.export.citation import citation_for, render
from storage.export.versions import get_version, word_diff
from storage.health import portal_health
from storage.models import MAX_ID, Article, Capture
from storage.search.engine import search_articles
from storage.search.filters import SearchFilters
from storage.search.query import QueryError, parse_query
from storage.timezone import day_end, day_start, local_iso
from storage.web.facets import facet_counts, month_bounds, portal_summaries
from storage.web.security import CAPTURE_CSP, ReadOnlySecurity

HERE = Path(__file__).parent
PER_PAGE = 20
# Pages of results linked either side of the current one.
PAGE_WINDOW = 3


def _int(value: str | None, default: int, *, low: int = 1, high: int = MAX_ID) -> int:
    """Return ``value`` as an int within [low, high] (ASCII digits only), else ``default``."""
    if value is None or not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        return default
    return int(value)


def create_app(db: str | None = None, *, factory: sessionmaker[Session] | None = None) -> Starlette:
    """Return the browser for the archive at ``db``, opened read-only (or for an existing ``factory``).

    Raises storage.db.ArchiveUnavailable when the archive cannot be opened.
    """
    engine: Engine | None = None
    if factory is None:
        engine, factory = open_archive(db, read_only=True)
    sessions = factory
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["local_iso"] = local_iso
    templates.env.globals["search_url"] = search_url

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        return templates.TemplateResponse(request, name, context, status_code=status)

    def load(session: Session, request: Request) -> Article:
        article_id = _int(request.path_params.get("article_id"), 0)
        article = session.get(Article, article_id) if article_id else None
        if article is None:
            raise HTTPException(404, "no such article")
        return article

    async def home(request: Request) -> Response:
        with sessions() as session:
            return page(request, "home.html", {"portals": portal_summaries(session)})

    async def search(request: Request) -> Response:
        params = request.query_params
        text = params.get("q", "").strip()
        if not text:
            return await home(request)
        filters, chosen = _filters(params)
        number = _int(params.get("page"), 1)
        sort = "date" if params.get("sort") == "date" else "relevance"
        with sessions() as session:
            try:
                query = parse_query(text)
            except QueryError as exc:
                return page(request, "search.html", {"q": text, "error": str(exc), "chosen": chosen}, 400)
            result = search_articles(session, query, filters, limit=PER_PAGE, page=number, sort=sort)
            facets = facet_counts(session, query, filters)
        pages = range(max(1, number - PAGE_WINDOW), min(result.pages, number + PAGE_WINDOW) + 1)
        context = {
            "q": text,
            "result": result,
            "facets": facets,
            "chosen": chosen,
            "sort": sort,
            "pages": pages,
        }
        return page(request, "search.html", context)

    async def article(request: Request) -> Response:
        with sessions() as session:
            row = load(session, request)
            details = records.article_details(session, row)
            citation = render(citation_for(session, row), "plain")
            bibtex = render(citation_for(session, row), "bibtex")
        return page(request, "article.html", {"a": details, "citation": citation, "bibtex": bibtex})

    async def diff(request: Request) -> Response:
        with sessions() as session:
            row = load(session, request)
            old = _int(request.query_params.get("a"), max(1, row.version - 1))
            new = _int(request.query_params.get("b"), row.version)
            try:
                changes = word_diff(row, old, new)
                versions = (get_version(row, old), get_version(row, new))
            except LookupError as exc:
                raise HTTPException(404, str(exc.args[0])) from exc
            context = {"a": records.article_details(session, row), "changes": changes, "versions": versions}
        return page(request, "diff.html", context)

    async def captured(request: Request) -> Response:
        with sessions() as session:
            capture = _capture(session, request)
            context = {"capture": capture, "article_id": capture.article_id}
        return page(request, "captured.html", context)

    async def captured_body(request: Request) -> Response:
        with sessions() as session:
            capture = _capture(session, request)
            body, content_type = capture_body(capture), capture.content_type or "text/html"
        # Only HTML and plain text are shown; anything else (a PDF, an image) is offered as bytes.
        if not content_type.lower().startswith(("text/html", "text/plain", "application/xhtml")):
            content_type = "application/octet-stream"
        response = Response(body, media_type=content_type.split(";")[0].strip())
        if "charset" in content_type.lower():
            response.headers["Content-Type"] = content_type
        response.headers["Content-Security-Policy"] = CAPTURE_CSP
        return response

    async def portals(request: Request) -> Response:
        with sessions() as session:
            summaries = portal_summaries(session)
            for summary in summaries:
                # The same judgement as `newsarchive health`, with its default thresholds.
                report = portal_health(session, summary["key"])
                summary["health"] = {"level": report.level, "problems": report.problems}
            return page(request, "portals.html", {"portals": summaries})

    async def runs(request: Request) -> Response:
        with sessions() as session:
            return page(request, "runs.html", {"runs": records.run_summaries(session, limit=100)})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> Any:
        yield
        if engine is not None:
            engine.dispose()

    routes = [
        Route("/", home),
        Route("/search", search),
        Route("/article/{article_id}", article),
        Route("/article/{article_id}/diff", diff),
        Route("/capture/{capture_id}", captured),
        Route("/capture/{capture_id}/body", captured_body),
        Route("/portals", portals),
        Route("/runs", runs),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(ReadOnlySecurity)], lifespan=lifespan)


def search_url(q: str, chosen: dict[str, str], **changes: Any) -> str:
    """Return the /search URL for ``q`` with the chosen facets, some changed (None or "" removes one)."""
    params = {**chosen, **{k: v for k, v in changes.items()}}
    pairs = [("q", q)] + [(k, str(v)) for k, v in params.items() if v not in (None, "")]
    return "/search?" + urlencode(pairs)


def _capture(session: Session, request: Request) -> Capture:
    capture_id = _int(request.path_params.get("capture_id"), 0)
    capture = session.get(Capture, capture_id) if capture_id else None
    if capture is None:
        raise HTTPException(404, "no such capture")
    return capture


def _filters(params: Any) -> tuple[SearchFilters, dict[str, str]]:
    """Return the filters of the facet parameters, and the chosen values (to show and to link)."""
    chosen = {name: params.get(name, "") for name in ("portal", "month", "language", "status")}
    since = until = None
    if chosen["month"] and (bounds := month_bounds(chosen["month"])):
        since, until = day_start(bounds[0]), day_end(bounds[1])
    else:
        chosen["month"] = ""
    statuses = (chosen["status"],) if chosen["status"] else SearchFilters().statuses
    if chosen["status"] == "any":
        statuses = ()
    filters = SearchFilters(
        portals=(chosen["portal"],) if chosen["portal"] else (), since=since, until=until,
        languages=(chosen["language"],) if chosen["language"] else (), statuses=statuses,
    )  # fmt: skip
    return filters, {k: v for k, v in chosen.items() if v}

"""The archive browser's routes: search, article, versions and diffs, captured page, portals, runs.

Every route is a plain function: Starlette runs it in its thread pool, so database work and diffs never
run on the event loop and a slow request never delays another.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, select
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
from storage.export.versions import DiffTooLarge, diff_texts, get_version, version_text
from storage.health import portal_health
from storage.models import MAX_ID, Article, Capture, Portal, utcnow
from storage.search.counts import PERIOD_BOUND
from storage.search.engine import search_articles
from storage.search.query import QueryError, parse_query
from storage.timezone import human_date
from storage.web.budget import OverBudget, statement_budget
from storage.web.display import count, day, when
from storage.web.facets import facet_counts, portal_summaries
from storage.web.hints import empty_hints
from storage.web.operations import portal_page
from storage.web.params import read_search_params
from storage.web.pictures import month_histogram, portal_charts, run_chart
from storage.web.security import CAPTURE_CSP, ReadOnlySecurity, capture_content_type

HERE = Path(__file__).parent
PER_PAGE = 20
# Pages of results linked either side of the current one.
PAGE_WINDOW = 3


# Longest number a path or parameter may hold: MAX_ID has 10 digits; anything longer is refused before
# int() is asked (which refuses 4,300 digits with an exception of its own).
_MAX_DIGITS = 12


def _int(value: str | None, default: int, *, low: int = 1, high: int = MAX_ID) -> int:
    """Return ``value`` as an int within [low, high] (ASCII digits only), else ``default``."""
    if value is None or len(value) > _MAX_DIGITS or not value.isascii() or not value.isdigit():
        return default
    return int(value) if low <= int(value) <= high else default


def _parameter(params: Any, name: str, default: int, *, high: int = MAX_ID) -> int:
    """Return the whole-number parameter ``name`` (``default`` when absent); 400 when it is not one."""
    value = params.get(name)
    if value is None or value == "":
        return default
    number = _int(value, 0, high=high)
    if not number:
        raise HTTPException(400, f"{name} must be a whole number from 1 to {high:,}")
    return number


def create_app(db: str | None = None, *, factory: sessionmaker[Session] | None = None) -> Starlette:
    """Return the browser for the archive at ``db``, opened read-only (or for an existing ``factory``).

    Raises storage.db.ArchiveUnavailable when the archive cannot be opened.
    """
    engine: Engine | None = None
    if factory is None:
        engine, factory = open_archive(db, read_only=True)
    sessions = factory
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(when=when, day=day, count=count, day_text=human_date)
    templates.env.globals["search_url"] = search_url

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        return templates.TemplateResponse(request, name, context, status_code=status)

    def load(session: Session, request: Request) -> Article:
        article_id = _int(request.path_params.get("article_id"), 0)
        article = session.get(Article, article_id) if article_id else None
        if article is None:
            raise HTTPException(404, "no such article")
        return article

    def home(request: Request) -> Response:
        with sessions() as session:
            return page(request, "home.html", {"portals": portal_summaries(session)})

    def search(request: Request) -> Response:
        params = request.query_params
        text = params.get("q", "").strip()
        if not text:
            return home(request)
        asked = read_search_params(params)
        chosen = asked.chosen
        number = _parameter(params, "page", 1)
        sort = "date" if params.get("sort") == "date" else "relevance"
        base = {"q": text, "chosen": chosen, "asked": asked, "sort": sort}
        if chosen.get("portal") and not _portal_exists(sessions, chosen["portal"]):
            # As the CLI's --portal: a misspelt key matched nothing and the page blamed "the filters".
            asked.problems.append(f"portal (báo): no portal {chosen['portal'][:100]!r} in this archive")
        if asked.problems:
            return page(request, "search.html", {**base, "problems": asked.problems}, 400)
        try:
            query = parse_query(text)
        except QueryError as exc:
            return page(request, "search.html", {**base, "error": str(exc)}, 400)
        with sessions() as session, session.begin():
            try:
                with statement_budget(session):
                    result = search_articles(
                        session, query, asked.filters, limit=PER_PAGE, page=number, sort=sort
                    )
                    dated = asked.dated if ("year" in chosen or "month" in chosen) else None
                    facets = facet_counts(session, query, asked.filters, dated=dated)
            except OverBudget as exc:
                message = f"{exc}; try fewer words or phrases, or a narrower filter"
                return page(request, "search.html", {**base, "error": message}, 503)
        pages = range(max(1, number - PAGE_WINDOW), min(result.pages, number + PAGE_WINDOW) + 1)
        hints = empty_hints(text, query, chosen) if not result.total else []
        # Matches per month when they span more than one: the bars link to the month, so the chart filters.
        months = facets.months
        # (Not of counts that stopped at their bound: bars all at 500 would say nothing.)
        charted = len(months) > 1 and not any(month.more for month in months)
        histogram = month_histogram(text, chosen, months, search_url) if charted else None
        context = {
            **base,
            "result": result,
            "facets": facets,
            "pages": pages,
            "hints": hints,
            "histogram": histogram,
            "period_bound": PERIOD_BOUND,
        }
        return page(request, "search.html", context)

    def article(request: Request) -> Response:
        with sessions() as session:
            row = load(session, request)
            details = records.article_details(session, row)
            citation = render(citation_for(session, row), "plain")
            bibtex = render(citation_for(session, row), "bibtex")
        return page(request, "article.html", {"a": details, "citation": citation, "bibtex": bibtex})

    def diff(request: Request) -> Response:
        with sessions() as session:
            row = load(session, request)
            old = _parameter(request.query_params, "a", max(1, row.version - 1))
            new = _parameter(request.query_params, "b", row.version)
            try:
                versions = (get_version(row, old), get_version(row, new))
            except LookupError as exc:
                raise HTTPException(404, str(exc.args[0])) from exc
            texts = (version_text(versions[0]), version_text(versions[1]))
            details = records.article_details(session, row)
        # Compared after the session is closed: a long diff holds no database connection.
        try:
            changes, too_large = diff_texts(*texts), None
        except DiffTooLarge as exc:
            changes, too_large = [], str(exc)
        context = {"a": details, "changes": changes, "versions": versions, "too_large": too_large}
        return page(request, "diff.html", context)

    def captured(request: Request) -> Response:
        with sessions() as session:
            capture = _capture(session, request)
            context = {"capture": capture, "article_id": capture.article_id}
        return page(request, "captured.html", context)

    def captured_body(request: Request) -> Response:
        with sessions() as session:
            capture = _capture(session, request)
            body, content_type = capture_body(capture), capture_content_type(capture.content_type)
        response = Response(body)
        response.headers["Content-Type"] = content_type
        response.headers["Content-Security-Policy"] = CAPTURE_CSP
        return response

    def portals(request: Request) -> Response:
        with sessions() as session:
            summaries = portal_summaries(session)
            for summary in summaries:
                # The same judgement as `newsarchive health`, with its default thresholds.
                report = portal_health(session, summary["key"])
                summary["health"] = {"level": report.level, "problems": report.problems}
            return page(request, "portals.html", {"portals": summaries})

    def portal(request: Request) -> Response:
        key = request.path_params["key"]
        with sessions() as session:
            shown = portal_page(session, key, utcnow()) if len(key) <= 100 else None
            if shown is None:
                raise HTTPException(404, f"no portal {key[:100]!r} in this archive")
            context = {**shown, "charts": portal_charts(shown)}
            return page(request, "portal.html", context)

    def run(request: Request) -> Response:
        run_id = _int(request.path_params.get("run_id"), 0)
        with sessions() as session:
            details = records.run_details(session, run_id) if run_id else None
        if details is None:
            raise HTTPException(404, "no such crawl run")
        return page(request, "run.html", {"run": details, "chart": run_chart(details)})

    def runs(request: Request) -> Response:
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
        Route("/portal/{key}", portal),
        Route("/run/{run_id}", run),
        Mount("/static", SafeStaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    def error(request: Request, exc: Exception) -> Response:
        # 400s and 404s in the site's layout, with the one-line reason; anything else is a 500 page that
        # names no internals.
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) and status < 500 else ""
        context = {"status": status, "detail": detail, "q": ""}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)

    handlers: dict[Any, Any] = {HTTPException: error, Exception: error}
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ReadOnlySecurity)],
        lifespan=lifespan,
        exception_handlers=handlers,
    )
    # Starlette answers a trailing slash with a redirect built from the request's Host header: a
    # request naming another host would be sent there. Our routes have one spelling; others are 404s.
    app.router.redirect_slashes = False
    return app


class SafeStaticFiles(StaticFiles):
    """The stylesheet and script; a path the file system cannot hold (a NUL byte, too long) is a 404."""

    async def get_response(self, path: str, scope: Any) -> Response:
        if "\x00" in path or len(path) > 200:
            raise HTTPException(404, "no such file")
        try:
            return await super().get_response(path, scope)
        except (OSError, ValueError) as exc:
            raise HTTPException(404, "no such file") from exc


def search_url(q: str, chosen: dict[str, str], **changes: Any) -> str:
    """Return the /search URL for ``q`` with the chosen facets, some changed (None or "" removes one)."""
    params = {**chosen, **{k: v for k, v in changes.items()}}
    pairs = [("q", q)] + [(k, str(v)) for k, v in params.items() if v not in (None, "")]
    return "/search?" + urlencode(pairs)


def _portal_exists(sessions: sessionmaker[Session], key: str) -> bool:
    with sessions() as session:
        return session.scalar(select(Portal.id).where(Portal.key == key).limit(1)) is not None


def _capture(session: Session, request: Request) -> Capture:
    capture_id = _int(request.path_params.get("capture_id"), 0)
    capture = session.get(Capture, capture_id) if capture_id else None
    if capture is None:
        raise HTTPException(404, "no such capture")
    return capture

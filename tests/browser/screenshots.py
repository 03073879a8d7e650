"""`make screenshots`: the search, article, portal and run pages of an archive (e.g. `make demo`'s) in
docs/screenshots/, taken with Debian's chromium at desktop and phone width."""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import func, select

from storage.db import open_archive
from storage.models import Article, CrawlRun, Portal
from storage.web.app import create_app
from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, Server

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _pages(db: str, query: str) -> dict[str, str]:
    """The paths to photograph: a search, its article with the most versions, the biggest portal, the
    newest run."""
    engine, factory = open_archive(db, read_only=True)
    try:
        with factory() as session:
            article = session.scalar(
                select(Article.id)
                .where(Article.status == "archived")
                .order_by(Article.version.desc(), Article.id)
            )
            portal = session.scalar(
                select(Portal.key)
                .join(Article, Article.portal_id == Portal.id)
                .group_by(Portal.key)
                .order_by(func.count().desc())
            )
            run = session.scalar(select(CrawlRun.id).order_by(CrawlRun.id.desc()))
    finally:
        engine.dispose()
    return {"search": f"/search?q={query}", "article": f"/article/{article}", "portal": f"/portal/{portal}",
            "run": f"/run/{run}"}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite:///archive.sqlite3")
    parser.add_argument("--query", default="nồng độ cồn")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    pages = _pages(args.db, args.query)
    server = Server(uvicorn.Config(create_app(args.db), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, "--lang=vi"],
            viewport=DESKTOP, locale="vi-VN",
        )  # fmt: skip
        page = context.new_page()
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)  # type: ignore[arg-type]
            for name, path in pages.items():
                page.goto(base + path)
                target = args.out / f"{name}-{size}.png"
                _shoot(page, target)
                written.append(target.name)
        context.close()
    server.should_exit = True
    thread.join(timeout=10)
    print(f"wrote {', '.join(written)} in {args.out}")
    return 0


def _shoot(page: Any, target: Path) -> None:
    # About a screenful and a half: enough to show the page, small enough to keep in git.
    height = min(
        page.evaluate("document.documentElement.scrollHeight"), int(page.viewport_size["height"] * 1.4)
    )
    width = page.viewport_size["width"]
    page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": width, "height": height}, full_page=True)


if __name__ == "__main__":
    raise SystemExit(main())

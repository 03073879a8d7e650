"""`make screenshots`: the search and article pages of an archive (e.g. `make demo`'s) in docs/, taken
with Debian's chromium at desktop and phone width."""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from storage.web.app import create_app
from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, Server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite:///archive.sqlite3")
    parser.add_argument("--query", default="nồng độ cồn")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    server = Server(uvicorn.Config(create_app(args.db), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        page = context.new_page()
        page.goto(f"{base}/search?q={args.query}")
        page.screenshot(path=str(args.out / "search.png"))
        page.click("ol.hits a.title >> nth=0")
        page.wait_for_selector("article h1")
        page.screenshot(path=str(args.out / "article.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/search?q={args.query}")
        page.screenshot(path=str(args.out / "search-phone.png"))
        context.close()
    server.should_exit = True
    thread.join(timeout=10)
    print(f"wrote {args.out}/search.png, article.png, search-phone.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

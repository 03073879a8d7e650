"""The archive browser in Debian's chromium (Playwright): search, article, facet, diff, captured page;
archived scripts never run and no request leaves 127.0.0.1."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy import create_engine, text

from storage.stored_forms import compress_capture
from storage.web.app import create_app
from tests.unit.archive_sample import Sample, overwrite_article

pytestmark = pytest.mark.slow  # a Chromium per test: in `make test`, not `make test-fast`

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# A title and a captured page that would announce themselves if any script in them ran.
HOSTILE_TITLE = '<script>fetch("/pwned-title");alert(1)</script> Lào Cai mùa hoa đào'
HOSTILE_PAGE = (
    b'<html><head><script>fetch("/pwned-capture");alert(2)</script>'
    b'<link rel="stylesheet" href="https://example.com/x.css"></head>'
    b"<body onload=\"fetch('/pwned-onload')\"><h1>Trang \xc4\x91\xc3\xa3 l\xc6\xb0u</h1>"
    b'<img src="http://203.0.113.7/tracker.png"><iframe src="https://example.org/"></iframe></body></html>'
)


class Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # running in a thread
        pass


@pytest.fixture
def served(sample: Sample) -> Iterator[tuple[str, Sample]]:
    if not CHROMIUM.exists():
        message = f"Debian's chromium is not installed at {CHROMIUM} (.ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: browser tests must run)")
        pytest.skip(message)
    overwrite_article(sample, "blossom", title=HOSTILE_TITLE)
    engine = create_engine(sample.url)
    with engine.begin() as connection:
        update = (
            "UPDATE captures SET body_compressed = :body, content_type = 'text/html' WHERE article_id = :a"
        )
        connection.execute(text(update), {"body": compress_capture(HOSTILE_PAGE), "a": sample.ids["blossom"]})
    engine.dispose()
    server = Server(uvicorn.Config(create_app(sample.url), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", sample
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[tuple[Any, list[str], list[str], list[tuple[str, str | None]]]]:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    dialogs: list[str] = []
    blocked: list[tuple[str, str | None]] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )

        # Every request that would reach the network passes this route; anything not for 127.0.0.1 is
        # recorded and aborted, so the test itself never sends one. Loads blocked by the CSP never get here.
        def route(handler: Any) -> None:
            requests.append(handler.request.url)
            if urlsplit(handler.request.url).hostname == "127.0.0.1":
                handler.continue_()
            else:
                handler.abort()

        context.route("**/*", route)
        context.on("requestfailed", lambda request: blocked.append((request.url, request.failure)))
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        try:
            yield page, requests, dialogs, blocked
        finally:
            context.close()


def test_archivist_walk_through(served: tuple[str, Sample], browser_page: tuple[Any, ...]) -> None:
    base, sample = served
    page, requests, dialogs, blocked = browser_page
    page.goto(f"{base}/")
    page.fill("main input[name=q]", "hòa bình")
    page.press("main input[name=q]", "Enter")
    page.wait_for_selector("#result-count")
    assert page.inner_text("#result-count").startswith("2 kết quả")
    assert page.locator("ol.hits mark").count() >= 2
    # follow a facet: one portal
    page.click('a[data-facet="portal"]:has-text("Báo Lào Cai")')
    page.wait_for_url("**portal=baolaocai**")
    assert page.inner_text("#result-count").startswith("1 kết quả")
    # open the origin article, then its diff
    page.goto(f"{base}/search?q=hoa+binh")
    page.click(f'a.title[href="/article/{sample.ids["origin"]}"]')
    page.wait_for_selector("article h1")
    assert page.inner_text("article h1") == "Hòa Bình khởi công cầu mới"
    assert page.text_content(".paper") == "Báo Hòa Bình"
    page.click("a.diff-link")
    page.wait_for_selector(".diff ins")
    assert "mới" in page.inner_text(".diff ins >> nth=0")
    # the hostile article: its title is text, its captured page runs nothing and loads nothing
    page.goto(f"{base}/article/{sample.ids['blossom']}")
    assert page.inner_text("article h1").startswith("<script>")
    page.click("a.captured-link")
    frame = page.frame_locator("iframe.captured")
    assert frame.locator("h1").inner_text() == "Trang đã lưu"
    page.wait_for_timeout(500)
    page.goto(f"{base}/search?q=%C4%91%C3%A0o")
    page.wait_for_selector("#result-count")
    assert dialogs == []
    assert not [url for url in requests if "pwned" in url]
    assert {urlsplit(url).hostname for url in requests} == {"127.0.0.1"}, sorted(set(requests))
    # the captured page's stylesheet and image were attempted, and stopped by its CSP before the network
    outside = {url: failure for url, failure in blocked if urlsplit(url).hostname != "127.0.0.1"}
    assert outside == {"https://example.com/x.css": "csp", "http://203.0.113.7/tracker.png": "csp"}


def test_phone_width(served: tuple[str, Sample], browser_page: tuple[Any, ...]) -> None:
    base, sample = served
    page = browser_page[0]
    page.set_viewport_size({"width": 375, "height": 740})
    for url in ("/search?q=hoa+binh", f"/article/{sample.ids['origin']}"):
        page.goto(base + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (url, width)

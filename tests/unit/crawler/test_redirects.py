"""Article redirects the spider follows itself (crawler.spiders.redirects): target, or why refused."""

from __future__ import annotations

import pytest
from scrapy.http import Request, Response

from crawler.spiders.redirects import RedirectRefused, redirect_chain, redirect_target

URL = "https://p.vn/tin/bai-viet-cu-1234.html"
LIMIT, MAX_REDIRECTS = 2083, 5  # URLLENGTH_LIMIT, REDIRECT_MAX_TIMES


def _redirect(location: str | None, *, chain: list[str] | None = None, status: int = 301) -> Response:
    headers = {"Location": location} if location is not None else {}
    request = Request(URL, meta={"redirect_chain": chain} if chain else {})
    return Response(URL, status=status, headers=headers, request=request)


def test_a_relative_location_resolves_against_the_response() -> None:
    response = _redirect("/tin/bai-viet-moi-1234.html")
    assert redirect_chain(response) == [URL]
    assert (
        redirect_target(response, redirect_chain(response), LIMIT, MAX_REDIRECTS)
        == "https://p.vn/tin/bai-viet-moi-1234.html"
    )


def test_a_redirect_without_location_is_refused() -> None:
    response = _redirect(None, status=302)
    with pytest.raises(RedirectRefused, match="^HTTP 302 without a Location header$"):
        redirect_target(response, redirect_chain(response), LIMIT, MAX_REDIRECTS)


def test_a_chain_longer_than_the_limit_is_refused() -> None:
    earlier = [f"https://p.vn/hop-{n}.html" for n in range(MAX_REDIRECTS)]
    response = _redirect("/tin/dich-den-1234.html", chain=earlier)
    chain = redirect_chain(response)
    assert len(chain) == MAX_REDIRECTS + 1
    with pytest.raises(RedirectRefused, match=f"^more than {MAX_REDIRECTS} redirects: "):
        redirect_target(response, chain, LIMIT, MAX_REDIRECTS)
    # One hop fewer is still followed.
    shorter = _redirect("/tin/dich-den-1234.html", chain=earlier[1:])
    assert (
        redirect_target(shorter, redirect_chain(shorter), LIMIT, MAX_REDIRECTS)
        == "https://p.vn/tin/dich-den-1234.html"
    )

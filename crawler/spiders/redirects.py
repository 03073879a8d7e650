"""Article redirects, which the spider follows itself: the target of one, or why it is refused."""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy.http import Response

from crawler.safety.guard import ALLOWED_SCHEMES

# Article redirects are followed by the spider itself, so that a loop or an endless chain is recorded
# as a failure with its reason instead of vanishing in Scrapy's duplicate filter.
REDIRECT_STATUSES = [301, 302, 303, 307, 308]


class RedirectRefused(Exception):
    """An article redirect that is not followed; str() is why (recorded as the capture's reason),
    ``status`` the capture's status: ``refused`` for a scheme the crawler never fetches, else
    ``fetch_failed``."""

    def __init__(self, reason: str, status: str = "fetch_failed") -> None:
        super().__init__(reason)
        self.status = status


def redirect_chain(response: Response) -> list[str]:
    """Return the URLs of the redirect chain up to and including this response's."""
    return [*response.meta.get("redirect_chain", []), response.url]


def redirect_target(response: Response, chain: list[str], url_limit: int, max_redirects: int) -> str:
    """Return the absolute URL a redirect response of ``chain`` points to.

    Raises RedirectRefused when it has no Location, points to a malformed URL, to a scheme other than
    http(s) (mailto:, tel:, javascript:, urn:, file:, which Scrapy cannot even request), or one longer than
    ``url_limit`` (URLLENGTH_LIMIT), back into ``chain`` (a loop), or ends a chain of more than
    ``max_redirects`` redirects (REDIRECT_MAX_TIMES, Scrapy's limit for every other request).
    """
    location = response.headers.get(b"Location")
    if not location:
        raise RedirectRefused(f"HTTP {response.status} without a Location header")
    target = _join(response.url, location.decode("latin-1"))
    if not target:
        raise RedirectRefused(f"redirect to a malformed URL: {location.decode('latin-1')[:200]!r}")
    scheme = target.split(":", 1)[0].lower() if ":" in target else ""
    if scheme not in ALLOWED_SCHEMES:
        why = f"scheme {scheme or '(none)'!r} is not fetched (only http and https)"
        raise RedirectRefused(f"refused by the address guard: {why}", status="refused")
    if len(target) > url_limit:
        raise RedirectRefused(
            f"redirect to a URL of {len(target):,} characters (URLLENGTH_LIMIT {url_limit})"
        )
    if target in chain:
        raise RedirectRefused("redirect loop: " + " -> ".join([*chain, target]))
    if len(chain) > max_redirects:
        raise RedirectRefused(f"more than {max_redirects} redirects: " + " -> ".join(chain))
    return target


def _join(base: str, location: str) -> str:
    """Return the absolute redirect target, or "" when it is malformed."""
    try:
        return urljoin(base, location.strip())
    except ValueError:
        return ""

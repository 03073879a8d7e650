"""Portal dataclass and loading/validating the registry file (crawler/portals.toml by default)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.etree

from crawler.ops.rules import Rule, registry_rule
from pipelines.extract.links import LinkRules, classify_url
from storage.frontier import RevisitPolicy
from storage.runs import Lineage
from storage.urls import site_key

DEFAULT_REGISTRY = Path(__file__).with_name("portals.toml")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.:-]*$")


class RegistryError(ValueError):
    """The registry file is missing, malformed, or names an unknown portal."""


@dataclass(frozen=True)
class Portal:
    """One news portal: where to start and, optionally, how its URLs look."""

    key: str
    name: str
    home_url: str
    article_url_pattern: str | None = None
    listing_url_pattern: str | None = None
    feeds: tuple[str, ...] = field(default_factory=tuple)
    sitemaps: tuple[str, ...] = field(default_factory=tuple)
    # XPath expressions of boilerplate that trafilatura keeps on this portal (ads, "read also" boxes).
    prune_xpath: tuple[str, ...] = field(default_factory=tuple)
    # Other hosts that may serve this portal's sitemaps and feeds (a CDN), as site keys.
    extra_hosts: tuple[str, ...] = field(default_factory=tuple)
    # How often archived articles are fetched again, by age (registry table ``revisit``).
    revisit: RevisitPolicy = field(default_factory=RevisitPolicy)
    # A recurring crawl declared in the registry (``schedule = { every = "6h" }``);
    # see crawler.ops.scheduling.
    schedule: Rule | None = None
    # Lineage. Other hosts this portal served from (old domains, a new domain it moved to), as site
    # keys: a crawl follows the portal onto them as on-site, imports file their URLs under this key.
    aliases: tuple[str, ...] = field(default_factory=tuple)
    # The key of the portal that took this one over (a merger), and the last day it published.
    successor: str | None = None
    active_until: date | None = None

    @property
    def lineage(self) -> Lineage:
        """The lineage the archive keeps of this portal (storage.runs.ensure_portal), for the web."""
        return Lineage(self.aliases, self.successor, self.active_until)

    @property
    def link_rules(self) -> LinkRules:
        """How this portal's URLs classify (pipelines.extract.links), picklable for the extraction workers."""
        return LinkRules(self.site, self.article_url_pattern, self.listing_url_pattern, self.aliases)

    @property
    def site(self) -> str:
        """The portal's site identity (storage.urls.site_key): every URL with this key is on the portal."""
        return site_key(self.home_url)

    @property
    def sites(self) -> tuple[str, ...]:
        """Every site key of the portal: its home URL's, then its aliases."""
        return (self.site, *(alias for alias in self.aliases if alias != self.site))

    def on_site(self, url: str) -> bool:
        """Whether ``url`` is on the portal: its own site or one of its aliases."""
        key = site_key(url)
        return bool(key) and key in self.sites

    def classify(self, url: str) -> str:
        """Return ``article``, ``listing`` or ``skip`` for a URL (pipelines.extract.links.classify_url);
        a URL off the portal's site is ``skip``."""
        return classify_url(url, self.link_rules)

    @classmethod
    def from_start_url(cls, url: str) -> Portal:
        """Return an unregistered portal known only by its home URL (generic discovery)."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError as exc:
            raise RegistryError(f"start URL {url[:200]!r} is malformed ({exc})") from exc
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RegistryError(f"start URL {url!r} is not an http(s) URL")
        key = site_key(url)
        if not key:
            raise RegistryError(f"start URL {url!r} has no host")
        home = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"
        return cls(key=key, name=key, home_url=home)


def registry_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the registry file: explicit, then $NEWSARCHIVE_PORTALS_FILE, then the bundled file."""
    return Path(explicit or os.environ.get("NEWSARCHIVE_PORTALS_FILE") or DEFAULT_REGISTRY)


def _read(file: Path) -> str:
    if file == DEFAULT_REGISTRY and not file.is_file():
        # The package runs from a zipped egg (a Scrapyd node): the bundled registry is a resource.
        from importlib import resources

        return resources.files("crawler").joinpath("portals.toml").read_text(encoding="utf-8")
    return file.read_text(encoding="utf-8")


def load_registry(path: str | os.PathLike[str] | None = None) -> dict[str, Portal]:
    """Return the portals of the registry file by key. Raises RegistryError with the exact problem."""
    file = registry_path(path)
    try:
        data = tomllib.loads(_read(file))
    except OSError as exc:
        raise RegistryError(f"cannot read portal registry {file}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"portal registry {file} is not valid TOML: {exc}") from exc
    portals: dict[str, Portal] = {}
    for index, entry in enumerate(data.get("portal", [])):
        where = f"{file}: portal #{index + 1}"
        missing = [name for name in ("key", "name", "home_url") if not entry.get(name)]
        if missing:
            raise RegistryError(f"{where} lacks {', '.join(missing)}")
        key = str(entry["key"])
        if not _KEY.match(key):
            raise RegistryError(f"{where}: key {key!r} must be lowercase letters, digits, '-', '_', '.'")
        if key in portals:
            raise RegistryError(f"{where}: key {key!r} appears twice")
        for pattern_name in ("article_url_pattern", "listing_url_pattern"):
            pattern = entry.get(pattern_name)
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise RegistryError(f"{where}: {pattern_name} is not a valid regex: {exc}") from exc
        Portal.from_start_url(str(entry["home_url"]))  # validates the URL
        for expression in entry.get("prune_xpath", ()):
            try:
                lxml.etree.XPath(expression)
            except lxml.etree.XPathSyntaxError as exc:
                raise RegistryError(f"{where}: prune_xpath {expression!r} is not valid XPath: {exc}") from exc
        portals[key] = Portal(
            key=key,
            name=str(entry["name"]),
            home_url=str(entry["home_url"]),
            article_url_pattern=entry.get("article_url_pattern"),
            listing_url_pattern=entry.get("listing_url_pattern"),
            feeds=tuple(entry.get("feeds", ())),
            sitemaps=tuple(entry.get("sitemaps", ())),
            prune_xpath=tuple(entry.get("prune_xpath", ())),
            extra_hosts=tuple(_site_keys(entry.get("extra_hosts", []), where)),
            revisit=_revisit(entry.get("revisit"), where),
            schedule=_schedule(entry.get("schedule"), where),
            aliases=tuple(_site_keys(entry.get("aliases", []), where, "aliases")),
            successor=_optional_text(entry.get("successor"), where, "successor"),
            active_until=_day(entry.get("active_until"), where),
        )
    for portal in portals.values():
        if portal.successor is not None and portal.successor not in portals:
            raise RegistryError(
                f"{file}: portal {portal.key!r}: successor {portal.successor!r} is no portal key"
            )
        if portal.successor == portal.key:
            raise RegistryError(f"{file}: portal {portal.key!r} cannot be its own successor")
    _check_hosts_unique(file, portals)
    return portals


def _check_hosts_unique(file: Path, portals: dict[str, Portal]) -> None:
    """A host belongs to one portal: two portals claiming it would file its URLs under either."""
    owner: dict[str, str] = {}
    for portal in portals.values():
        for site in portal.sites:
            if site in owner and owner[site] != portal.key:
                raise RegistryError(
                    f"{file}: host {site} is both portal {owner[site]!r}'s and portal {portal.key!r}'s"
                )
            owner[site] = portal.key


def _optional_text(value: Any, where: str, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RegistryError(f"{where}: {name} must be a portal key")
    return value.strip()


def _day(value: Any, where: str) -> date | None:
    """``active_until``: a TOML date (2025-06-30) or the same as a string."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RegistryError(f"{where}: active_until must be a date like 2025-06-30, got {value!r}") from exc


def _schedule(table: Any, where: str) -> Rule | None:
    try:
        return registry_rule(table, where)
    except ValueError as exc:
        raise RegistryError(str(exc) if str(exc).startswith(where) else f"{where}: schedule: {exc}") from exc


def _revisit(table: Any, where: str) -> RevisitPolicy:
    if table is None:
        return RevisitPolicy()
    if not isinstance(table, dict):
        raise RegistryError(f'{where}: revisit must be a table like {{ "1d" = "3h", "7d" = "1d" }}')
    try:
        return RevisitPolicy.from_table({str(age): str(every) for age, every in table.items()})
    except ValueError as exc:
        raise RegistryError(f"{where}: revisit: {exc}") from exc


def _site_keys(hosts: Any, where: str, name: str = "extra_hosts") -> list[str]:
    if not isinstance(hosts, list) or not all(isinstance(host, str) and host.strip() for host in hosts):
        raise RegistryError(f"{where}: {name} must be a list of host names")
    keys = []
    for host in hosts:
        key = site_key(host if "://" in host else f"https://{host.strip()}/")
        if not key:
            raise RegistryError(f"{where}: {name} entry {host!r} is not a host name")
        keys.append(key)
    return keys


def portal_for_url(url: str, registry: dict[str, Portal]) -> Portal | None:
    """Return the registered portal whose site or alias ``url`` is on (storage.urls.site_key), or None."""
    key = site_key(url)
    if not key:
        return None
    return next((portal for portal in registry.values() if key in portal.sites), None)


def resolve_portals(keys: list[str], start_urls: list[str], registry: dict[str, Portal]) -> list[Portal]:
    """Return the portals a crawl covers: registry ``keys`` (all when neither keys nor URLs are given)
    plus one per start URL (its registry entry when the URL is on a registered portal's site).
    Raises RegistryError."""
    chosen = select_portals(keys, registry) if keys or not start_urls else []
    by_site = {site: portal for portal in registry.values() for site in portal.sites}
    for url in start_urls:
        ad_hoc = Portal.from_start_url(url)
        chosen.append(by_site.get(ad_hoc.site, ad_hoc))
    return list({portal.key: portal for portal in chosen}.values())


def select_portals(keys: list[str], registry: dict[str, Portal]) -> list[Portal]:
    """Return the registry entries for ``keys`` (all of them when empty). Raises RegistryError."""
    if not keys:
        return list(registry.values())
    unknown = [key for key in keys if key not in registry]
    if unknown:
        raise RegistryError(f"unknown portal {', '.join(unknown)}; known: {', '.join(sorted(registry))}")
    return [registry[key] for key in keys]

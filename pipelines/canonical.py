"""Canonical claims: when a page's rel=canonical or og:url may make it another URL's article.

A canonical tag is the portal's word, and portals get it wrong (every article's canonical is the home
page: a common CMS misconfiguration) or lie (page B names article A to overwrite it). So the tag is a
claim, judged where the archive is written, in the article's own transaction:

- a claim naming another site is ignored (a syndicated copy naming its source stays its own article);
- a claim naming the portal's home page, a listing or anything not shaped like an article is ignored;
- a page whose own URL already holds an article keeps it (the claim cannot move an archived URL);
- a claim naming an article the archive does not hold yet is not verified: the page keeps its own URL
  (if the other URL turns out to hold the same text, the dedup stage clusters the two as copies);
- a claim naming an archived article is accepted only when both hold the same text: the same text
  identity, or a confirmed near copy (pipelines.detect.neardup.compare). Otherwise it is rejected.

Only an accepted claim joins the page to the named article (a revisit, or a new version of it); every
other verdict archives the page under its own canonical URL, so no page can replace another's text.
The claim and its verdict are recorded on the capture (``canonical_claim``, ``canonical_verdict``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipelines.detect.neardup import compare
from pipelines.extract.links import LinkRules, classify_url
from storage.models import Article
from storage.urls import canonical_url, indexable_url, same_site, site_key

ACCEPTED = "accepted"
REJECTED_DIFFERENT_TEXT = "rejected_different_text"
IGNORED_HOME_OR_LISTING = "ignored_home_or_listing"
IGNORED_OTHER_SITE = "ignored_other_site"
UNVERIFIED = "unverified_target_not_archived"
KEPT_OWN_ARTICLE = "kept_own_article"
VERDICTS = (
    ACCEPTED, REJECTED_DIFFERENT_TEXT, IGNORED_HOME_OR_LISTING, IGNORED_OTHER_SITE, UNVERIFIED,
    KEPT_OWN_ARTICLE,
)  # fmt: skip
# Texts compared paragraph by paragraph (neardup.compare) only up to this many paragraph pairs: a pair of
# pages of thousands of paragraphs each would hold the archive's writer thread for minutes. Over it the
# claim is rejected, which keeps both pages as they are.
MAX_COMPARED_PAIRS = 250_000
# A claim is stored as the page gave it, cut to this many characters (a URL longer than this is no
# article URL of a real portal; the capture keeps the page's bytes anyway).
MAX_CLAIM_CHARS = 2000


@dataclass(frozen=True)
class Claim:
    """A page's canonical claim: the URL it declared (``declared``, as given) and its canonical form."""

    declared: str
    target: str  # storage.urls.canonical_url of ``declared``; "" when it names another site


@dataclass(frozen=True)
class Judgement:
    """Where the page is archived (``canonical_url``) and, when it claimed another URL, the verdict."""

    canonical_url: str
    claim: str | None = None  # the declared URL, cut to MAX_CLAIM_CHARS
    verdict: str | None = None


@dataclass(frozen=True)
class TargetText:
    """The archived article a claim names: its text identity and its text."""

    content_hash: str
    text: str


def claim_of(page_url: str, declared: str | None) -> Claim | None:
    """Return the claim of a page at ``page_url`` declaring ``declared``, or None when it claims nothing
    (no tag, or one naming the page itself once both are canonicalised)."""
    if not declared or not declared.strip() or declared.strip() == page_url:
        return None  # most pages name themselves verbatim: then no canonicalising (~90 µs a URL)
    if not same_site(declared, page_url):
        return Claim(declared, "")
    target = canonical_url(declared)
    if target == canonical_url(page_url):
        return None
    return Claim(declared, target)


def is_home_or_listing(url: str, home_url: str, rules: LinkRules | None = None) -> bool:
    """Return whether ``url`` (canonical) is the portal's home page, its site root, a listing or anything
    not shaped like an article, by the portal's URL rules (the shape of the path without them)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return True
    if path in ("", "/") or url == canonical_url(home_url):
        return True
    return classify_url(url, rules or LinkRules(site_key(url))) != "article"


def decide(
    claim: Claim,
    *,
    home_url: str,
    rules: LinkRules | None,
    own_archived: bool,
    target: TargetText | None,
    content_hash: str,
    text: str,
) -> str:
    """Return the verdict on ``claim`` (see the module's rules, applied in that order).

    ``own_archived``: the page's own canonical URL already holds an article; ``target``: the archived
    article the claim names, None when the archive holds none; ``content_hash`` and ``text``: the page's.
    """
    if not claim.target:
        return IGNORED_OTHER_SITE
    if is_home_or_listing(claim.target, home_url, rules):
        return IGNORED_HOME_OR_LISTING
    if own_archived:
        return KEPT_OWN_ARTICLE
    if target is None:
        return UNVERIFIED
    if target.content_hash == content_hash:
        return ACCEPTED
    pairs = (target.text.count("\n") + 1) * (text.count("\n") + 1)
    if pairs <= MAX_COMPARED_PAIRS and compare(target.text, text).same_story:
        return ACCEPTED
    return REJECTED_DIFFERENT_TEXT


def judge(
    session: Session,
    page_url: str,
    declared: str | None,
    *,
    home_url: str,
    rules: LinkRules | None,
    content_hash: str,
    text: str,
) -> Judgement:
    """Judge the canonical claim of a page at ``page_url`` against the archive; return where to archive
    it. Reads only (the caller archives under ``canonical_url`` in the same transaction)."""
    own = canonical_url(page_url)
    claim = claim_of(page_url, declared)
    if claim is None:
        return Judgement(own)
    own_archived, target = False, None
    if claim.target and not is_home_or_listing(claim.target, home_url, rules):
        own_archived = _article_id(session, own) is not None
        found = session.execute(
            select(Article.content_hash, Article.text).where(
                Article.canonical_url == indexable_url(claim.target)
            )
        ).first()
        target = TargetText(found.content_hash, found.text) if found is not None else None
    verdict = decide(
        claim, home_url=home_url, rules=rules, own_archived=own_archived, target=target,
        content_hash=content_hash, text=text,
    )  # fmt: skip
    chosen = claim.target if verdict == ACCEPTED else own
    return Judgement(chosen, claim.declared[:MAX_CLAIM_CHARS], verdict)


def _article_id(session: Session, url: str) -> int | None:
    return session.scalar(select(Article.id).where(Article.canonical_url == indexable_url(url)))

"""Near-duplicate cases of a replica world, added once every portal is filled.

* Near copies: about ``NEAR_SHARE`` of each portal's articles (portal 1 on) are edited syndicated copies of
  an earlier article of another portal: a lead-in line (own paragraph or joined to the first one), a credit
  line, and/or one sentence without any number or name dropped; maybe a "Province: " title prefix.
* An NFD copy: one exact syndicated copy is served NFD-decomposed (``special="nfd"``).
* Templated-report pairs: an article and a re-fill of the same templates for another district or period
  (same paragraph structure, other names and figures); different stories, never duplicates.

New articles take the place (and id) of ordinary articles near their date, so every portal keeps its
article count; all other articles keep their key, date and text.
"""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta

from tests.replica import urls
from tests.replica.textgen import FIGURES as FIGURE_SLOTS
from tests.replica.textgen import (
    ArticleText,
    NearEdit,
    Variant,
    droppable,
    make_article,
    make_head,
    plan,
    sentences,
    slugify,
    title_template,
)
from tests.replica.world import DAYS, START, Article, Portal

NEAR_SHARE = 0.04  # share of a portal's articles (portal 1 on) that are near copies
PAIR_SHARE = 0.01  # templated-report pairs per portal article (at least one per portal of 8+ articles)
MAX_PARAGRAPHS = 14  # a near copy never has more paragraphs than the generator writes
PAIR_TRIES = 12
LOWER_OK = ("Sáng", "Chiều", "Tối", "Ngày", "Những", "Thực")  # first words "Theo X, " may lowercase
LEADS = (
    "({abbr}) - Theo {source}, đây là nội dung được dư luận địa phương quan tâm thời gian qua.",
    "{name} giới thiệu bài viết của {source} về nội dung này.",
    "({abbr}) - Dưới đây là bài viết đăng trên {source}.",
)
CREDITS = ("Theo {source}", "Nguồn: {source}", "(Theo {source})")


def add_near_duplicates(portals: list[Portal], seed: int, titles: set[str]) -> list[tuple[Article, Article]]:
    """Add near copies, the NFD exact copy and templated pairs to ``portals``; return the pairs."""
    _mark_nfd_copy(portals)
    reserved: set[int] = set()  # ids of templated-pair members
    groups = [0]
    pairs: list[tuple[Article, Article]] = []
    for i, portal in enumerate(portals):
        rng = random.Random(f"{seed}:{portal.key}:near")
        dates = [a.published_at for a in portal.articles]
        if i:
            _add_near_copies(portal, dates, portals[:i], rng, groups, reserved)
        pairs += _add_pairs(portal, dates, rng, seed, titles, reserved)
        portal.articles.sort(key=lambda a: (a.published_at, a.key))
    return pairs


def _plain(a: Article, reserved: set[int]) -> bool:
    """Return True if ``a`` is an ordinary article: no special case, copy, group or pair."""
    return (
        a.special is None
        and a.language == "vi"
        and a.old_path is None
        and a.edited_at is None
        and a.dup_group is None
        and a.near_group is None
        and a.variant is None
        and id(a) not in reserved
    )


def _mark_nfd_copy(portals: list[Portal]) -> None:
    """Serve the first exact syndicated copy NFD-decomposed, so an NFD page is in a dup group."""
    for portal in portals[1:]:
        for a in portal.articles:
            if a.dup_group and not a.is_origin and a.special is None:
                a.special = "nfd"
                return


def _take_place(
    portal: Portal, dates: list[datetime], new: Article, reserved: set[int], keep: Article | None = None
) -> bool:
    """Put ``new`` in place of the ordinary article closest in date (taking its id); False if none.

    ``dates`` are the articles' dates before any replacement (sorted; replaced places are not ordinary).
    """
    arts, when = portal.articles, new.published_at
    lo = bisect.bisect_left(dates, when) - 1
    hi = lo + 1
    while lo >= 0 or hi < len(arts):
        if hi >= len(arts) or (lo >= 0 and when - dates[lo] <= dates[hi] - when):
            index, lo = lo, lo - 1
        else:
            index, hi = hi, hi + 1
        old = arts[index]
        if old is keep or not _plain(old, reserved):
            continue
        new.aid = old.aid
        new.slug = slugify(new.title)
        new.path = urls.article_path(portal.style, new.category, new.slug, new.aid, new.published_at)
        new.print_path = urls.print_path(portal.style, new.slug, new.aid, new.published_at)
        arts[index] = new
        return True
    return False


def _add_near_copies(
    portal: Portal,
    dates: list[datetime],
    earlier: list[Portal],
    rng: random.Random,
    groups: list[int],
    reserved: set[int],
) -> None:
    limit = START + timedelta(days=DAYS - 3)
    n = max(1, round(len(portal.articles) * NEAR_SHARE)) if len(portal.articles) >= 3 else 0
    sources = {p.key: p for p in earlier}
    origins = [a for p in earlier for a in p.articles if _plain(a, reserved) and a.published_at < limit]
    for origin in rng.sample(origins, k=min(n, len(origins))):
        when = origin.published_at + timedelta(hours=rng.randint(1, 47), minutes=rng.randrange(60))
        text = make_article(origin.key, origin.province, origin.topic, origin.text_date)
        prefixed = rng.random() < 0.3
        copy = Article(
            portal=portal.key,
            aid=0,
            key=origin.key,
            province=origin.province,
            topic=origin.topic,
            text_date=origin.text_date,
            published_at=when,
            title=f"{origin.province.name}: {origin.title}" if prefixed else origin.title,
            author=origin.author,
            category=urls.category_slug(portal.style, origin.topic.slug),
            near=_near_edit(rng, text, portal, sources[origin.portal]),
        )
        if not _take_place(portal, dates, copy, reserved):
            return
        groups[0] += 1
        copy.near_group = origin.near_group = f"near-{groups[0]:04d}"
        origin.is_origin = True


def _near_edit(rng: random.Random, text: ArticleText, portal: Portal, source_portal: Portal) -> NearEdit:
    """Return a random, number- and name-preserving edit of ``text`` republished on ``portal``."""
    source = rng.choice((f"Báo {source_portal.province.name}",) * 3 + ("TTXVN",))
    fill = {"abbr": portal.province.abbr, "source": source, "name": f"Báo {portal.province.name}"}
    room = MAX_PARAGRAPHS - len(text.paragraphs)
    opening = rng.choice(("", "lead", "prefix"))
    want_credit, want_drop = rng.random() < 0.5, rng.random() < 0.5
    if opening == "lead" and room < 1:
        opening = "prefix"
    lead = prefix = credit = ""
    lower = False
    if opening == "lead":
        lead, room = rng.choice(LEADS).format(**fill), room - 1
    elif opening == "prefix":
        first_word = text.paragraphs[0].split(" ", 1)[0]
        if rng.random() < 0.5 and first_word in LOWER_OK:
            prefix, lower = f"Theo {source}, ", True
        else:
            prefix = f"({fill['abbr']}) - "
    if want_credit and room >= 1:
        credit = rng.choice(CREDITS).format(**fill)
    drops = [
        (i, j)
        for i, para in enumerate(text.paragraphs[1:], start=1)
        if len(parts := sentences(para)) >= 2 and " ".join(parts) == para
        for j, sentence in enumerate(parts)
        if droppable(sentence)
    ]
    drop = rng.choice(drops) if want_drop and drops else None
    if not (lead or prefix or credit or drop):
        prefix = f"({fill['abbr']}) - "
    return NearEdit(lead=lead, prefix=prefix, lower_first=lower, credit=credit, drop=drop)


def _add_pairs(
    portal: Portal, dates: list[datetime], rng: random.Random, seed: int, titles: set[str], reserved: set[int]
) -> list[tuple[Article, Article]]:
    """Add templated-report partners to ordinary articles of ``portal``; return the (base, partner) pairs."""
    limit = START + timedelta(days=DAYS - 40)
    n = max(1, round(len(portal.articles) * PAIR_SHARE)) if len(portal.articles) >= 8 else 0
    pairs: list[tuple[Article, Article]] = []
    if not n:
        return pairs
    templates = [
        (a, title_template(a.key, a.topic))
        for a in portal.articles
        if _plain(a, reserved) and a.published_at < limit
    ]
    fitting = {kind: [a for a, t in templates if _fits(kind, t)] for kind in ("district", "figures")}
    for number in range(n):
        kind = ("district", "figures")[(number + portal.index) % 2]
        # An earlier partner may have taken the place (and id) of a candidate base: only bases still
        # served can be paired.
        present = {id(a) for a in portal.articles}
        bases = [a for a in fitting[kind] if _plain(a, reserved) and id(a) in present]
        for attempt in range(min(PAIR_TRIES, len(bases))):
            base = rng.choice(bases)
            variant_seed = f"{seed}:{portal.key}:pair:{number}:{attempt}"
            partner = _partner(portal, base, kind, variant_seed, rng)
            if partner is None or partner.title in titles or partner.title == base.title:
                continue
            new_text = make_article(base.key, base.province, base.topic, base.text_date, 0, partner.variant)
            old_text = make_article(base.key, base.province, base.topic, base.text_date)
            if new_text.paragraphs == old_text.paragraphs or not _take_place(
                portal, dates, partner, reserved, base
            ):
                continue
            titles.add(partner.title)
            reserved.update((id(base), id(partner)))
            pairs.append((base, partner))
            break
    return pairs


def _fits(kind: str, template: str) -> bool:
    """Return True if a title ``template`` changes under a ``kind`` variant (so the titles differ)."""
    if kind == "district":
        return "{huyen}" in template or "{C_huyen}" in template
    return any("{" + slot + "}" in template for slot in FIGURE_SLOTS)


def _partner(
    portal: Portal, base: Article, kind: str, variant_seed: str, rng: random.Random
) -> Article | None:
    """Return the other article of a templated pair with ``base`` (not yet placed), or None."""
    if kind == "district":
        district = plan(base.key, base.province, base.topic, base.text_date)["huyen"]
        others = [d for d in base.province.districts if d != district]
        if not others:
            return None
        when = base.published_at + timedelta(hours=rng.randint(1, 8), minutes=rng.randrange(60))
        variant = Variant(seed=variant_seed, huyen=rng.choice(others))
    else:
        when = base.published_at + timedelta(days=rng.randint(28, 35), minutes=rng.randrange(60))
        variant = Variant(seed=variant_seed, dated=when)
    title, _author = make_head(base.key, base.province, base.topic, base.text_date, variant)
    return Article(
        portal=portal.key,
        aid=0,
        key=base.key,
        province=base.province,
        topic=base.topic,
        text_date=base.text_date,
        published_at=when,
        title=title,
        author=base.author,
        category=base.category,
        variant=variant,
    )

"""Seeded Vietnamese news text generator: titles, sapos, bodies, captions, comments (all NFC)."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tests.replica import vi_places as places
from tests.replica import vi_topics as topics


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC."""
    return unicodedata.normalize("NFC", text)


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d" if ch == "đ" else "D"
    return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))


# Latin letters with diacritics (and combining marks) -> ASCII, for str.translate.
_FOLD = {cp: _fold_char(chr(cp)) for cp in range(0xC0, 0x1F00) if _fold_char(chr(cp)) != chr(cp)}


def ascii_fold(text: str) -> str:
    """Return ``text`` without Vietnamese diacritics ("Đồng Nai" -> "Dong Nai")."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


def slugify(text: str) -> str:
    """Return the URL slug of a Vietnamese title: no diacritics, lowercase, hyphenated (đ -> d)."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def vi_int(n: int) -> str:
    """Return ``n`` with Vietnamese thousands separators: 12.450."""
    return f"{n:,}".replace(",", ".")


def vi_dec(x: float) -> str:
    """Return ``x`` with one decimal and a decimal comma, dropping ",0": 12,5."""
    text = f"{x:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return text[:-2] if text.endswith(",0") else text


def person(rng: random.Random) -> tuple[str, str]:
    """Return (honorific, full name) of a random person."""
    family = rng.choice(places.FAMILY_NAMES)
    if rng.random() < 0.6:
        name = f"{family} {rng.choice(places.MALE_MIDDLE)} {rng.choice(places.MALE_GIVEN)}"
        return rng.choice(("ông", "ông", "anh")), name
    name = f"{family} {rng.choice(places.FEMALE_MIDDLE)} {rng.choice(places.FEMALE_GIVEN)}"
    return rng.choice(("bà", "bà", "chị")), name


def commune(rng: random.Random) -> tuple[str, str]:
    """Return (kind + name, name) of a random commune: ("xã Phước Hà", "Phước Hà")."""
    head = rng.choice(places.COMMUNE_HEADS)
    tail = rng.choice([t for t in places.COMMUNE_TAILS if t != head])
    name = f"{head} {tail}"
    return f"{rng.choice(places.COMMUNE_KINDS)} {name}", name


def byline(rng: random.Random) -> str:
    """Return a reporter's pen name ("Minh Hà")."""
    return f"{rng.choice(places.BYLINE_FIRST)} {rng.choice(places.BYLINE_LAST)}"


def district_name(district: str) -> str:
    """Return a district's name without its kind: "thị xã Sa Pa" -> "Sa Pa"."""
    for kind in ("thành phố ", "thị xã ", "huyện "):
        if district.startswith(kind):
            return district[len(kind) :]
    return district


def _party_committee(district: str) -> str:
    for kind, body in (("thành phố ", "Thành ủy "), ("thị xã ", "Thị ủy "), ("huyện ", "Huyện ủy ")):
        if district.startswith(kind):
            return body + district[len(kind) :]
    return "Huyện ủy " + district


def official(rng: random.Random, prov: places.Province, district: str, xa: str) -> str:
    """Return an official with role: "ông Nguyễn Văn Hùng, Chủ tịch UBND huyện Ninh Hải"."""
    hon, name = person(rng)
    hon = {"anh": "ông", "chị": "bà"}.get(hon, hon)
    level = rng.random()
    if level < 0.45:
        role = rng.choice(places.PROVINCE_ROLES)
    elif level < 0.85:
        role = rng.choice(places.DISTRICT_ROLES).format(d=district, du=_party_committee(district))
    else:
        role = rng.choice(places.COMMUNE_ROLES).format(c=xa)
    return f"{hon} {name}, {role}"


def _period(dt: datetime) -> str:
    done = dt.month - 1
    return f"năm {dt.year - 1}" if done == 0 else f"{done} tháng đầu năm {dt.year}"


def _dm(dt: datetime) -> str:
    return f"{dt.day}/{dt.month}"


# Slots holding a figure: a templated variant redraws them (names and structure stay).
FIGURES = frozenset(
    ("n1", "n2", "n3", "n4", "pct", "pct_small", "ty", "ty_small", "trieu", "ha", "tan", "km", "gia", "usd")
)
DATE_SLOTS = ("ngay", "ngay_truoc", "ngay_sau", "buoi", "ky", "nam", "nam_sau", "nam_truoc", "m", "m_sau")


@dataclass(frozen=True)
class Variant:
    """A templated report re-filled for another district and/or period: same templates and paragraph
    structure as the article of the same key, other district name and figures."""

    seed: str  # seeds the replacement figures
    huyen: str | None = None  # the other district (None: same district, other figures)
    dated: datetime | None = None  # date slots recomputed for this date (None: the base article's)


@dataclass(frozen=True)
class NearEdit:
    """How a near (edited) syndicated copy differs from its origin; numbers and names never change."""

    lead: str = ""  # a paragraph inserted at the top
    prefix: str = ""  # joined to the first paragraph's start ("(BKH) - " or "Theo TTXVN, ")
    lower_first: bool = False  # lowercase the first paragraph's first letter after ``prefix``
    credit: str = ""  # a paragraph appended at the end
    drop: tuple[int, int] | None = None  # (paragraph, sentence) dropped


class Slots(dict[str, str]):
    """Template values: fixed ones are stored, the others are drawn afresh at every lookup."""

    def __init__(self, rng: random.Random, prov: places.Province, fixed: dict[str, str]) -> None:
        super().__init__(fixed)
        self.rng = rng
        self.prov = prov
        self.alt: random.Random | None = None  # set on templated variants: redraws every figure

    def __missing__(self, key: str) -> str:
        if key.startswith("C_"):
            value = self[key[2:]]
            return value[:1].upper() + value[1:]
        value = self._draw(key, self.rng)
        if self.alt is not None and key in FIGURES:  # a templated variant: same draws, other figures
            for _ in range(8):
                other = self._draw(key, self.alt)
                if other != value:
                    return other
        return value

    def _draw(self, key: str, rng: random.Random) -> str:
        if key == "n1":
            return str(rng.randint(2, 9))
        if key == "n2":
            return str(rng.randint(10, 99))
        if key == "n3":
            return str(rng.randint(100, 999))
        if key == "n4":
            return vi_int(rng.randint(1000, 25000))
        if key == "pct":
            return vi_dec(rng.uniform(55, 99.9)) + "%"
        if key == "pct_small":
            return vi_dec(rng.uniform(1, 19.9)) + "%"
        if key == "ty":
            return vi_dec(rng.uniform(12, 2400)) + " tỷ đồng"
        if key == "ty_small":
            return vi_dec(rng.uniform(0.5, 15)) + " tỷ đồng"
        if key == "trieu":
            return str(rng.randrange(20, 900, 5)) + " triệu đồng"
        if key == "ha":
            return vi_int(rng.randint(40, 6000)) + " ha"
        if key == "tan":
            return vi_int(rng.randint(800, 90000)) + " tấn"
        if key == "km":
            return vi_dec(rng.uniform(1, 40)) + " km"
        if key == "gia":
            return vi_int(rng.randrange(8000, 120000, 500)) + " đồng/kg"
        if key == "usd":
            return vi_dec(rng.uniform(20, 900)) + " triệu USD"
        if key == "xa2":
            return commune(rng)[0]
        if key == "qc2":
            return official(rng, self.prov, rng.choice(self.prov.districts), commune(rng)[0])
        if key == "dan":
            hon, name = person(rng)
            return f"{hon} {name} ({rng.choice(places.HAMLET_WORDS)} {commune(rng)[1]})"
        if key == "road":
            return rng.choice(self.prov.roads)
        raise KeyError(key)


def fill(template: str, slots: Slots) -> str:
    """Return ``template`` with its placeholders filled from ``slots``."""
    return template.format_map(slots)


@dataclass
class ArticleText:
    """Everything the generator writes for one article."""

    title: str
    sapo: str
    paragraphs: list[str]
    figures: list[tuple[int, str]] = field(default_factory=list)  # (after paragraph index, caption)
    # Inline related-article blocks the page shows between body paragraphs: (after paragraph index, kind).
    # Boilerplate: they are not in ``paragraphs`` (the truth), only in the page.
    related_at: list[tuple[int, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)  # (name, text)


def plan(
    key: str, prov: places.Province, topic: topics.Topic, published: datetime, variant: Variant | None = None
) -> Slots:
    """Return the fixed slots (people, places, dates) of the article seeded by ``key``."""
    rng = random.Random(key + ":plan")
    district = rng.choice(prov.districts)
    xa, xa_ten = commune(rng)
    if published.hour >= 15:
        event, buoi = published, rng.choice(("sáng", "chiều"))
    elif published.hour >= 11:
        event, buoi = published, "sáng"
    else:
        event, buoi = published - timedelta(days=1), rng.choice(("sáng", "chiều", "tối"))
    tail = rng.choice(places.COMMUNE_TAILS)
    hon, name = person(rng)
    da = rng.choice(places.PROJECTS).format(
        river=rng.choice(places.RIVERS), d=district, road=rng.choice(prov.roads), c=xa, name=name
    )
    suspect = f"{rng.choice(places.FAMILY_NAMES)} {rng.choice(places.MALE_MIDDLE)} {rng.choice('HTNLPQDKS')}."
    fixed = {
        "P": prov.name,
        "huyen": district,
        "xa": xa,
        "xa_ten": xa_ten,
        "thon": f"{rng.choice(places.HAMLET_WORDS)} {rng.choice(places.COMMUNE_HEADS)} {tail}",
        "sp": rng.choice(prov.products),
        "dd": rng.choice(prov.sights),
        "lh": rng.choice(prov.festivals),
        "da": da,
        "qc": official(rng, prov, district, xa),
        "dt": f"đối tượng {suspect} (SN {rng.randint(1975, 2005)}, trú tại {commune(rng)[0]})",
        "ngay": _dm(event),
        "ngay_truoc": _dm(event - timedelta(days=rng.randint(1, 4))),
        "ngay_sau": _dm(event + timedelta(days=rng.randint(5, 25))),
        "buoi": buoi,
        "ky": _period(published),
        "nam": str(published.year),
        "nam_sau": str(published.year + 1),
        "nam_truoc": str(published.year - 1),
        "m": str(published.month),
        "m_sau": str(published.month % 12 + 1),
        "k": str(rng.randint(5, 28)),
        "author": byline(rng),
    }
    slots = Slots(rng, prov, fixed)
    if variant is not None:
        _vary(slots, variant)
    return slots


def _vary(slots: Slots, variant: Variant) -> None:
    """Re-fill ``slots`` for a templated variant: other figures, maybe another district and period."""
    alt = random.Random(variant.seed + ":figures")
    slots.alt = alt
    slots["k"] = str((int(slots["k"]) - 5 + alt.randint(1, 23)) % 24 + 5)
    if variant.huyen is not None and variant.huyen != slots["huyen"]:
        old, new = district_name(slots["huyen"]), district_name(variant.huyen)
        for name in ("qc", "da", "dt"):
            slots[name] = slots[name].replace(old, new)
        slots["huyen"] = variant.huyen
    if variant.dated is not None:
        rng, when = random.Random(variant.seed + ":dates"), variant.dated
        if when.hour >= 15:
            event, buoi = when, rng.choice(("sáng", "chiều"))
        elif when.hour >= 11:
            event, buoi = when, "sáng"
        else:
            event, buoi = when - timedelta(days=1), rng.choice(("sáng", "chiều", "tối"))
        slots.update(
            ngay=_dm(event),
            ngay_truoc=_dm(event - timedelta(days=rng.randint(1, 4))),
            ngay_sau=_dm(event + timedelta(days=rng.randint(5, 25))),
            buoi=buoi,
            ky=_period(when),
            nam=str(when.year),
            nam_sau=str(when.year + 1),
            nam_truoc=str(when.year - 1),
            m=str(when.month),
            m_sau=str(when.month % 12 + 1),
        )


def _head(
    key: str, prov: places.Province, topic: topics.Topic, published: datetime, variant: Variant | None = None
) -> tuple[int, str, str]:
    slots = plan(key, prov, topic, published, variant)
    slots.rng = random.Random(key + ":title")
    index = slots.rng.randrange(len(topic.titles))
    return index, nfc(fill(topic.titles[index], slots)), slots["author"]


def make_head(
    key: str, prov: places.Province, topic: topics.Topic, published: datetime, variant: Variant | None = None
) -> tuple[str, str]:
    """Return (title, author) of the article seeded by ``key`` (cheap: used when building the world)."""
    _index, title, author = _head(key, prov, topic, published, variant)
    return title, author


def placed_title(title: str, key: str, attempt: int) -> str:
    """Return ``title`` led by a commune's name ("Phước Hà: ..."), as portals tell apart two reports with
    the same headline; ``attempt`` draws another commune. The commune space is large, so one draw almost
    always gives a new title: a redraw of the whole head would pick from a headline space that a
    10,000-article world fills up (2.5 draws per article at 5 x 2,000, 4.2 at 5 x 4,000)."""
    place = commune(random.Random(f"{key}:place:{attempt}"))[1]
    return nfc(f"{place}: {title}")


def title_template(key: str, topic: topics.Topic) -> str:
    """Return the unfilled title template of the article seeded by ``key``."""
    return topic.titles[random.Random(key + ":title").randrange(len(topic.titles))]


def make_article(
    key: str,
    prov: places.Province,
    topic: topics.Topic,
    published: datetime,
    revision: int = 0,
    variant: Variant | None = None,
) -> ArticleText:
    """Return the full text of the article seeded by ``key`` (same title as ``make_head``).

    ``revision`` >= 1 returns the edited text: one paragraph rewritten and one paragraph added.
    ``variant`` re-fills the same templates with other figures (and district/period): see ``Variant``.
    """
    index, title, _author = _head(key, prov, topic, published, variant)
    slots = plan(key, prov, topic, published, variant)
    rng = random.Random(key + ":body")
    slots.rng = rng
    sapo = fill(topic.sapos[topic.title_sapo[index]], slots)
    pool: list[str] = []
    quotes = list(topic.quotes)
    rng.shuffle(quotes)

    def sentence() -> str:
        if not pool:
            pool.extend(topic.sentences + topics.GENERIC)
            rng.shuffle(pool)
        return fill(pool.pop(), slots)

    n_par = rng.randint(6, 14)
    quote_at = set(rng.sample(range(1, n_par - 1), k=min(len(quotes), rng.randint(1, 2))))
    paragraphs = [fill(rng.choice(topics.OPENERS), slots) + " " + sentence()]
    for i in range(1, n_par - 1):
        if i in quote_at and quotes:
            quote = quotes.pop()
            frames = topics.QUOTE_FRAMES_CITIZEN if quote.startswith("~") else topics.QUOTE_FRAMES_OFFICIAL
            frame = rng.choice(frames).replace("{q}", quote.lstrip("~"))
            paragraphs.append(fill(frame, slots))
        else:
            paragraphs.append(" ".join(sentence() for _ in range(rng.randint(1, 3))))
    paragraphs.append(fill(rng.choice(topics.CLOSERS), slots))
    author = slots["author"]
    figures = [
        (i, fill(rng.choice(topic.captions), slots) + f" Ảnh: {author}")
        for i in sorted(rng.sample(range(n_par - 1), k=rng.randint(0, 2)))
    ]
    tags = rng.sample(topic.tags, k=2) + [district_name(slots["huyen"])]
    related_at = inline_related(key, n_par)
    comments = []
    for _ in range(rng.randint(0, 4)):
        _hon, name = person(rng)
        comments.append((name, fill(rng.choice(topics.COMMENTS), slots)))
    if revision:
        slots.rng = random.Random(f"{key}:revision:{revision}")
        pool.clear()
        paragraphs[1] = " ".join(sentence() for _ in range(2))
        paragraphs.insert(len(paragraphs) - 1, sentence())
    return ArticleText(
        title=title,
        sapo=nfc(sapo),
        paragraphs=[nfc(p) for p in paragraphs],
        figures=[(i, nfc(c)) for i, c in figures],
        tags=[nfc(t) for t in tags],
        comments=[(nfc(n), nfc(c)) for n, c in comments],
        related_at=related_at,
    )


RELATED_SHARE = 0.35  # share of articles with inline related-article lines or boxes in the body
RELATED_KINDS = ("line", "pair", "box", "label_list")


def inline_related(key: str, n_paragraphs: int) -> list[tuple[int, str]]:
    """Return where (after which paragraph, never the last) and which inline related blocks the article
    seeded by ``key`` shows: ">> Xem thêm: <link>" lines, "Đọc thêm:" pairs, "Tin liên quan" boxes.

    A generator of its own, so adding them left every other draw of the world as it was.
    """
    rng = random.Random(key + ":related")
    if n_paragraphs < 3 or rng.random() >= RELATED_SHARE:
        return []
    places = sorted(rng.sample(range(n_paragraphs - 1), k=rng.randint(1, 2)))
    return [(index, rng.choice(RELATED_KINDS)) for index in places]


_SENTENCE_END = re.compile(r'(?<=[.!?])\s+|(?<=[.!?]["”])\s+')


def sentences(paragraph: str) -> list[str]:
    """Return the sentences of ``paragraph`` (joined by single spaces they give it back)."""
    return _SENTENCE_END.split(paragraph)


def droppable(sentence: str) -> bool:
    """Return True if ``sentence`` holds no number and no name (no digit, no capital after its first
    letter): a near copy may drop it without changing any figure or name."""
    return not any(c.isdigit() for c in sentence) and not any(c.isupper() for c in sentence[1:])


def apply_near(text: ArticleText, edit: NearEdit, title: str) -> ArticleText:
    """Return ``text`` as a near copy with ``edit`` applied (lead-in, credit, dropped sentence)."""
    paragraphs = list(text.paragraphs)
    if edit.drop is not None:
        para, index = edit.drop
        parts = sentences(paragraphs[para])
        del parts[index]
        paragraphs[para] = " ".join(parts)
    if edit.prefix:
        first = paragraphs[0]
        paragraphs[0] = edit.prefix + (first[:1].lower() + first[1:] if edit.lower_first else first)
    figures, related_at = list(text.figures), list(text.related_at)
    if edit.lead:
        paragraphs.insert(0, edit.lead)
        figures = [(i + 1, caption) for i, caption in figures]
        related_at = [(i + 1, kind) for i, kind in related_at]
    if edit.credit:
        paragraphs.append(edit.credit)
    return ArticleText(
        title=nfc(title),
        sapo=text.sapo,
        paragraphs=[nfc(p) for p in paragraphs],
        figures=figures,
        tags=list(text.tags),
        comments=list(text.comments),
        related_at=related_at,
    )

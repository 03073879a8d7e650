"""`newsarchive eval extraction`: body F1, title and date accuracy, ours vs bare trafilatura."""

from __future__ import annotations

import gzip
import json
import re
import sys
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

FUNDUS = Path("extraction_benchmarks/fundus")
AEB = Path("extraction_benchmarks/scrapinghub_aeb")
VI_MODERN = Path("vi_news_html/modern_2026_tracking_news_mcp")
VI_HTMLDATE = Path("vi_news_html/htmldate_vnexpress_2023")
VN_OFFSET = timedelta(hours=7)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Han/kana have no spaces between words, so each character is a token; everything else splits on \w+.
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


@dataclass
class Page:
    """One evaluation page and its gold fields (None where the set has no gold)."""

    set_name: str
    path: Path
    url: str
    body: str | None = None
    title: str | None = None
    date: str | None = None  # ISO timestamp, or YYYY-MM-DD when only the day is known


@dataclass
class Scores:
    """Per-page scores for one extractor; None where there is no gold to compare with."""

    f1: float | None = None
    precision: float | None = None
    recall: float | None = None
    title: bool | None = None
    date_day: bool | None = None
    date_instant: bool | None = None
    date_offset: bool | None = None
    error: str | None = None


@dataclass
class Result:
    """The scores of both extractors on one page."""

    set_name: str
    page: str
    ours: Scores = field(default_factory=Scores)
    bare: Scores = field(default_factory=Scores)
    ms: float = 0.0


def _version_key(key: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", key))


def _fundus_body(body: dict[str, Any]) -> str:
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts += list(section.get("headline") or []) + list(section.get("paragraphs") or [])
    return "\n".join(parts)


def load_fundus(root: Path) -> list[Page]:
    """Pair each publisher's version keys (sorted numerically) with its pages (sorted by name)."""
    pages: list[Page] = []
    for gold_file in sorted(root.glob("*/*.json")):
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        meta = json.loads((gold_file.parent / "meta.info").read_text(encoding="utf-8"))
        files = sorted(gold_file.parent.glob(f"{gold_file.stem}_*.html.gz"))
        files = [
            f for f in files if re.fullmatch(rf"{re.escape(gold_file.stem)}_\d{{4}}_\d\d_\d\d", f.name[:-8])
        ]
        for key, html_file in zip(sorted(gold, key=_version_key), files, strict=False):
            entry = gold[key]
            pages.append(
                Page(
                    "fundus",
                    html_file,
                    meta.get(html_file.name, {}).get("url", ""),
                    _fundus_body(entry.get("body") or {}),
                    entry.get("title"),
                    entry.get("publishing_date"),
                )
            )
    return pages


def load_aeb(root: Path) -> list[Page]:
    """Return the AEB pages with their gold article bodies."""
    gold = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page("scrapinghub_aeb", root / "html" / f"{key}.html.gz", entry["url"], entry["articleBody"])
        for key, entry in sorted(gold.items())
        if (root / "html" / f"{key}.html.gz").exists()
    ]


def load_vietnamese(data_dir: Path, fundus: list[Page]) -> list[Page]:
    """Return the Vietnamese article pages: modern index (title, date), htmldate gold, fundus vn."""
    index = json.loads((data_dir / VI_MODERN / "_index_derived.json").read_text(encoding="utf-8"))
    pages = [
        Page("vi_news_html", data_dir / VI_MODERN / name, entry["canonical_url"], None, entry["og_title"],
             entry["date_published"])
        for name, entry in sorted(index.items())
        if entry.get("page_type") == "article"
    ]  # fmt: skip
    gold = json.loads(
        (data_dir / VI_HTMLDATE / "date_gold_from_eval_default.json").read_text(encoding="utf-8")
    )
    for url, entry in gold.items():
        pages.append(
            Page("vi_news_html", data_dir / VI_HTMLDATE / entry["file"], url, None, None, entry["date"])
        )
    pages += [
        Page("vi_news_html", p.path, p.url, p.body, p.title, p.date) for p in fundus if "/vn/" in str(p.path)
    ]
    return pages


def _tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(unicodedata.normalize("NFC", text).lower()))


def token_f1(predicted: str, gold: str) -> tuple[float, float, float]:
    """Return bag-of-words (F1, precision, recall) of ``predicted`` against ``gold``."""
    pred, ref = _tokens(predicted), _tokens(gold)
    common = sum((pred & ref).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(pred.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall), precision, recall


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def title_match(predicted: str | None, gold: str, url: str) -> bool:
    """Exact match (NFC, whitespace-normalised) with the gold title, with or without its site suffix."""
    from pipelines.extract.meta import strip_site_name

    if not predicted:
        return False
    golds = {_norm(gold), _norm(strip_site_name(gold, None, url) or gold)}
    return _norm(predicted) in golds


def _parse_gold(value: str) -> datetime | date:
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return date.fromisoformat(value)
    return datetime.fromisoformat(re.sub(r"\s+(?=[+-]\d\d:?\d\d$)", "", value).replace(" ", "T", 1))


def date_scores(predicted: datetime | date | None, gold_text: str, scores: Scores) -> None:
    """Fill day/instant/offset accuracy. Instants compare to the minute (date lines show minutes, and
    meta and JSON-LD on one page disagree on seconds); a gold without offset is Vietnamese local time.
    A prediction without a time (a bare ``date``) can match the day only."""
    gold = _parse_gold(gold_text)
    if isinstance(predicted, datetime) and isinstance(gold, datetime):
        aware = gold if gold.tzinfo else gold.replace(tzinfo=timezone(VN_OFFSET))
        scores.date_day = predicted.astimezone(aware.tzinfo).date() == aware.date()
        scores.date_instant = predicted.replace(second=0, microsecond=0) == aware.replace(
            second=0, microsecond=0
        )
        scores.date_offset = predicted.utcoffset() == aware.utcoffset()
        return
    gold_day = gold.date() if isinstance(gold, datetime) else gold
    predicted_day = predicted.date() if isinstance(predicted, datetime) else predicted
    scores.date_day = predicted_day == gold_day
    if isinstance(gold, datetime):
        scores.date_instant = scores.date_offset = False


def _bare_date(value: str | None) -> date | None:
    """trafilatura's metadata date is YYYY-MM-DD: a day without time or offset."""
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _score_body(scores: Scores, predicted: str, gold: str | None) -> None:
    if gold is not None:
        scores.f1, scores.precision, scores.recall = token_f1(predicted, gold)


def evaluate_page(page: Page) -> Result:
    """Run our extractor and bare trafilatura on one page and score both (in a worker process)."""
    import time

    import trafilatura

    from pipelines.extract.core import ExtractionError, extract_article

    body = _read(page.path)
    result = Result(page.set_name, str(page.path.name))
    started = time.perf_counter()
    try:
        article = extract_article(body, page.url, content_type="text/html")
    except ExtractionError as exc:
        result.ours.error = str(exc)
        ours_body, ours_title, ours_date = "", None, None
    except Exception as exc:  # a crash is scored as a failed page, and reported, not fatal to the run
        result.ours.error = f"crash: {exc!r}"
        ours_body, ours_title, ours_date = "", None, None
    else:
        # the sapo is part of the article body in every gold set, so score sapo + body together
        ours_body = "\n".join(part for part in (article.sapo, article.text) if part)
        ours_title, ours_date = article.title, article.published_at
    result.ms = (time.perf_counter() - started) * 1000
    _score_body(result.ours, ours_body, page.body)
    bare_text = trafilatura.extract(body, url=page.url) or ""
    _score_body(result.bare, bare_text, page.body)
    document = trafilatura.bare_extraction(body, url=page.url, with_metadata=True)
    bare_title = getattr(document, "title", None)
    bare_date = _bare_date(getattr(document, "date", None))
    if page.title is not None:
        result.ours.title = title_match(ours_title, page.title, page.url)
        result.bare.title = title_match(bare_title, page.title, page.url)
    if page.date:
        date_scores(ours_date, page.date, result.ours)
        date_scores(bare_date, page.date, result.bare)
    return result


_METRICS = ("f1", "precision", "recall", "title", "date_day", "date_instant", "date_offset")


def summarise(results: list[Result]) -> dict[str, Any]:
    """Return per-set means of every metric for both extractors (with the number of scored pages)."""
    summary: dict[str, Any] = {}
    for set_name in sorted({r.set_name for r in results}):
        rows = [r for r in results if r.set_name == set_name]
        entry: dict[str, Any] = {"pages": len(rows)}
        for who in ("ours", "bare"):
            stats: dict[str, Any] = {}
            for metric in _METRICS:
                values = [float(v) for r in rows if (v := getattr(getattr(r, who), metric)) is not None]
                stats[metric] = round(sum(values) / len(values), 4) if values else None
                stats[f"{metric}_n"] = len(values)
            stats["errors"] = sum(1 for r in rows if getattr(r, who).error)
            entry[who] = stats
        times = sorted(r.ms for r in rows)
        entry["ours_ms_median"] = round(times[len(times) // 2], 1)
        entry["ours_ms_p95"] = round(times[int(len(times) * 0.95)], 1)
        summary[set_name] = entry
    return summary


def _table(summary: dict[str, Any]) -> str:
    header = ["set", "extractor", "pages", "F1", "P", "R", "title", "date day", "date instant", "date offset"]
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for set_name, entry in summary.items():
        for who, label in (("ours", "ours"), ("bare", "trafilatura")):
            stats = entry[who]
            cells = [set_name, label, str(entry["pages"])]
            for metric in _METRICS:
                value = stats[metric]
                cells.append("-" if value is None else f"{value:.3f} (n={stats[f'{metric}_n']})")
            lines.append(" | ".join(cells))
    for set_name, entry in summary.items():
        lines.append(
            f"{set_name}: ours rejected {entry['ours']['errors']} pages; our extraction takes"
            f" {entry['ours_ms_median']} ms median, {entry['ours_ms_p95']} ms p95"
        )
    return "\n".join(lines)


def run(data_dir: Path, as_json: bool = False, jobs: int = 2) -> int:
    """Score both extractors on the shared data sets; print a table (or JSON). Return the exit code."""
    data_dir = Path(data_dir)
    required = [FUNDUS, AEB, VI_MODERN / "_index_derived.json", VI_HTMLDATE]
    missing = [str(data_dir / item) for item in required if not (data_dir / item).exists()]
    if missing:
        print(f"error: eval extraction: data missing: {', '.join(missing)} (use --data DIR)", file=sys.stderr)
        return 2
    fundus = load_fundus(data_dir / FUNDUS)
    pages = fundus + load_aeb(data_dir / AEB) + load_vietnamese(data_dir, fundus)
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(evaluate_page, pages, chunksize=4))
    summary = summarise(results)
    if as_json:
        pages_out = [
            {"set": r.set_name, "page": r.page, "ours": vars(r.ours), "bare": vars(r.bare)} for r in results
        ]
        print(json.dumps({"summary": summary, "pages": pages_out}, ensure_ascii=False, indent=1))
    else:
        print(_table(summary))
    return 0

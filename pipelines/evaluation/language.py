"""`newsarchive eval language`: our language check vs bare seeded langdetect on the shared langid data."""

from __future__ import annotations

import csv
import json
import os
import sys
import time
import unicodedata
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.detect import langid

LINGUA_LANGS = ("vi", "id", "ms", "tl", "th", "zh", "yo", "fr", "en")
# Every other Latin-script language of lingua's test data (sentences only): alphabets with diacritics and
# letters quốc ngữ lacks, where a false "vi" would archive a foreign page as Vietnamese.
LATIN_SENTENCE_LANGS = (
    "af", "az", "bs", "ca", "cs", "cy", "da", "de", "eo", "es", "et", "eu", "fi", "ga", "hr", "hu", "is",
    "it", "la", "lg", "lt", "lv", "mi", "nb", "nl", "nn", "pl", "pt", "ro", "sk", "sl", "sn", "so", "sq",
    "st", "sv", "sw", "tn", "tr", "ts", "xh", "zu",
)  # fmt: skip
# langdetect's label where it differs from the data set's code (it has one Norwegian profile).
LANGDETECT_LABEL = {"nb": "no", "nn": "no"}
# UDHR file -> true label. vie_han (Hán-Nôm script) and yue are scored as non-Vietnamese Chinese-script text;
# ceb/blu/blt/hni/khm/lao have no langdetect profile, so only their false-"vi" rate is meaningful.
UDHR_CODES = {
    "vie": "vi", "ind": "id", "mly_latn": "ms", "tgl": "tl", "ceb": "ceb", "yor": "yo", "eng": "en",
    "fra": "fr", "tha": "th", "cmn_hans": "zh", "cmn_hant": "zh", "yue": "zh", "vie_han": "zh",
    "khm": "km", "lao": "lo", "blu": "hmn", "blt": "blt", "hni": "hni",
}  # fmt: skip
TARGET_VI_RECALL = 0.995  # lingua sentences + UDHR paragraphs
TARGET_FALSE_VI = 0.01  # every non-Vietnamese language, sentences + UDHR
TARGET_LATIN_FALSE_VI = 0.0  # each of LATIN_SENTENCE_LANGS: not one sentence may be called Vietnamese
TARGET_HEADLINE_RECALL = 0.99  # accented DANeS headlines
TARGET_SETS = ("sentences", "udhr")
SHORT_SETS = ("single-words", "word-pairs")
SWEEP_CAP = 24  # last bucket of the short-text sweep is "24+ letters"
NO_PROFILE = ("ms", "yo")  # langdetect has no profile for them: left out of the sweep's precision
SPOT_CHECK_EVERY = 25  # every Nth item also goes through the public detect_language(); results must match


@dataclass(frozen=True)
class Item:
    dataset: str
    truth: str
    text: str


@dataclass(frozen=True)
class Scored:
    dataset: str
    truth: str
    letters: int
    ours: str  # detect_language() answer (with the short-text minimum)
    raw: str  # our decision with no minimum (for the short-text sweep)
    bare: str  # bare seeded langdetect
    mismatch: bool  # spot check: public API disagreed with the shared-langdetect path


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def _accented(text: str) -> bool:
    """Headline carries Vietnamese diacritics (detector-independent filter)."""
    nfd = unicodedata.normalize("NFD", text)
    return "đ" in text.lower() or any(unicodedata.combining(c) for c in nfd)


def load(data_dir: Path) -> list[Item]:
    root = data_dir / "langid"
    items: list[Item] = []
    for dataset in (*TARGET_SETS[:1], *SHORT_SETS):
        for lang in LINGUA_LANGS:
            items += [
                Item(dataset, lang, t) for t in _lines(root / "lingua_testdata" / dataset / f"{lang}.txt")
            ]
    for lang in LATIN_SENTENCE_LANGS:
        items += [
            Item("sentences", lang, t) for t in _lines(root / "lingua_testdata" / "sentences" / f"{lang}.txt")
        ]
    for code, lang in UDHR_CODES.items():
        items += [
            Item("udhr", lang if code != "vie_han" else "zh-hannom", t)
            for t in _lines(root / "udhr" / f"{code}.txt")
        ]
    with (root / "danes" / "title_slug_pairs.tsv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if _accented(r["title_with_diacritics"])]
    items += [Item("headlines", "vi", r["title_with_diacritics"]) for r in rows]
    items += [Item("slugs", "vi", r["url_slug_without_diacritics"].replace("-", " ")) for r in rows]
    return items


def _bare_probs(text: str) -> tuple[str, dict[str, float]]:
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0
    try:
        langs = detect_langs(text)
    except LangDetectException:
        return "und", {}
    probs: dict[str, float] = defaultdict(float)
    for lang in langs:
        probs["zh" if lang.lang.startswith("zh") else lang.lang] += lang.prob
    return max(probs, key=probs.__getitem__), dict(probs)


def _score(batch: list[tuple[int, Item]]) -> list[Scored]:
    out = []
    for index, item in batch:
        bare, probs = _bare_probs(item.text)
        raw = langid._classify(item.text, None, (0, 0), probs).language
        ours = langid._classify(item.text, None, ld_probs=probs).language
        letters = sum(c.isalpha() for c in unicodedata.normalize("NFC", item.text))
        mismatch = index % SPOT_CHECK_EVERY == 0 and langid.detect_language(item.text).language != ours
        out.append(Scored(item.dataset, item.truth, letters, ours, raw, bare, mismatch))
    return out


def _hit(truth: str, pred: str) -> bool:
    return pred in (truth, LANGDETECT_LABEL.get(truth))


def _row(dataset: str, truth: str, scored: list[Scored]) -> dict[str, object]:
    n = len(scored)

    def rate(pred: str, cond: str) -> float:
        if cond == "hit":
            return sum(_hit(truth, getattr(s, pred)) for s in scored) / n
        return sum(getattr(s, pred) == cond for s in scored) / n

    row: dict[str, object] = {
        "set": dataset, "lang": truth, "n": n,
        "recall_ours": rate("ours", "hit"), "recall_langdetect": rate("bare", "hit"),
        "as_vi_ours": rate("ours", "vi"), "as_vi_langdetect": rate("bare", "vi"),
        "as_en_ours": rate("ours", "en"), "as_en_langdetect": rate("bare", "en"),
        "und_ours": rate("ours", "und"), "as_vi_count_ours": sum(s.ours == "vi" for s in scored),
    }  # fmt: skip
    target, ok = "", None
    if dataset in TARGET_SETS and truth == "vi":
        target, ok = f"recall>={TARGET_VI_RECALL}", row["recall_ours"] >= TARGET_VI_RECALL  # type: ignore[operator]
    elif dataset == "sentences" and truth in LATIN_SENTENCE_LANGS:
        target, ok = f"as_vi={TARGET_LATIN_FALSE_VI:g}", row["as_vi_ours"] <= TARGET_LATIN_FALSE_VI  # type: ignore[operator]
    elif dataset in TARGET_SETS:
        target, ok = f"as_vi<={TARGET_FALSE_VI}", row["as_vi_ours"] <= TARGET_FALSE_VI  # type: ignore[operator]
    elif dataset == "headlines":
        target, ok = f"recall>={TARGET_HEADLINE_RECALL}", row["recall_ours"] >= TARGET_HEADLINE_RECALL  # type: ignore[operator]
    row["target"] = target or "info"
    row["status"] = "" if ok is None else ("PASS" if ok else "FAIL")
    return row


def _sweep(scored: list[Scored]) -> list[dict[str, object]]:
    """Our decision with no minimum on single words + word pairs, by letter count: answer quality."""
    buckets: dict[int, list[Scored]] = defaultdict(list)
    for s in scored:
        if s.dataset in SHORT_SETS:
            buckets[min(s.letters, SWEEP_CAP)].append(s)
    rows = []
    for length in sorted(buckets):
        group = buckets[length]
        answered = [s for s in group if s.raw != "und" and s.truth not in NO_PROFILE]
        non_vi = [s for s in group if s.truth != "vi"]
        rows.append({
            "letters": f"{length}+" if length == SWEEP_CAP else str(length), "n": len(group),
            "answered": sum(s.raw != "und" for s in group) / len(group),
            "precision": sum(s.raw == s.truth for s in answered) / (len(answered) or 1),
            "false_vi": sum(s.raw == "vi" for s in non_vi) / (len(non_vi) or 1),
            "n_non_vi": len(non_vi),
            "bare_false_vi": sum(s.bare == "vi" for s in non_vi) / (len(non_vi) or 1),
        })  # fmt: skip
    return rows


def evaluate(items: list[Item], workers: int | None = None) -> dict[str, object]:
    start = time.perf_counter()
    indexed = list(enumerate(items))
    size = 250
    batches = [indexed[i : i + size] for i in range(0, len(indexed), size)]
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        scored = [s for part in pool.map(_score, batches) for s in part]
    groups: dict[tuple[str, str], list[Scored]] = defaultdict(list)
    for s in scored:
        groups[(s.dataset, s.truth)].append(s)
    rows = [_row(ds, truth, group) for (ds, truth), group in groups.items()]
    statuses = [r["status"] for r in rows if r["status"]]
    return {
        "rows": rows,
        "short_text_sweep": _sweep(scored),
        "min_letters": langid.MIN_LETTERS,
        "min_letters_vi": langid.MIN_LETTERS_VI,
        "spot_checked": sum(1 for i, _ in indexed if i % SPOT_CHECK_EVERY == 0),
        "spot_mismatches": sum(s.mismatch for s in scored),
        "all_targets_pass": all(st == "PASS" for st in statuses),
        "seconds": round(time.perf_counter() - start, 1),
    }


def _table(report: dict[str, object]) -> str:
    head = (
        f"{'set':<13}{'lang':<10}{'n':>6}  {'recall ours/ld':>15}  {'->vi ours/ld':>13}  {'->en ours/ld':>13}"
    )
    lines = [head + f"  {'und':>5}  target", "-" * (len(head) + 28)]
    for r in report["rows"]:  # type: ignore[attr-defined]
        lines.append(
            f"{r['set']:<13}{r['lang']:<10}{r['n']:>6}"
            f"  {r['recall_ours']:>7.3f}/{r['recall_langdetect']:<7.3f}"
            f"  {r['as_vi_ours']:>6.3f}/{r['as_vi_langdetect']:<6.3f}"
            f"  {r['as_en_ours']:>6.3f}/{r['as_en_langdetect']:<6.3f}"
            f"  {r['und_ours']:>5.3f}  {r['target']} {r['status']}".rstrip()
        )
    lines += [
        "",
        f"short-text sweep (single words + word pairs; our decision with no minimum). Chosen: MIN_LETTERS = "
        f"{report['min_letters']} (answers >= 80% right), MIN_LETTERS_VI = {report['min_letters_vi']}",
        f"{'letters':>7}{'n':>6}  {'answered':>8}  {'precision':>9}  {'false_vi':>8}  {'ld false_vi':>11}",
    ]
    for r in report["short_text_sweep"]:  # type: ignore[attr-defined]
        lines.append(
            f"{r['letters']:>7}{r['n']:>6}  {r['answered']:>8.3f}  {r['precision']:>9.3f}"
            f"  {r['false_vi']:>8.3f}  {r['bare_false_vi']:>11.3f}"
        )
    lines += [
        "",
        f"spot check detect_language() vs eval path: {report['spot_mismatches']} mismatches "
        f"in {report['spot_checked']} items",
        f"targets: vi recall >= {TARGET_VI_RECALL} (sentences, udhr); non-vi -> vi <= {TARGET_FALSE_VI} "
        f"(sentences, udhr); accented headline recall >= {TARGET_HEADLINE_RECALL}; non-vi -> vi = "
        f"{TARGET_LATIN_FALSE_VI:g} for each of {len(LATIN_SENTENCE_LANGS)} more Latin-script languages",
        f"ALL TARGETS: {'PASS' if report['all_targets_pass'] else 'FAIL'}   ({report['seconds']} s)",
    ]
    return "\n".join(lines)


def run(data_dir: Path, as_json: bool = False) -> int:
    """Print the language-check report; 2 with a one-line message when the data is missing."""
    sentences = data_dir / "langid" / "lingua_testdata" / "sentences"
    needed = [
        *(sentences / f"{lang}.txt" for lang in ("vi", *LATIN_SENTENCE_LANGS)),
        data_dir / "langid" / "udhr" / "vie.txt",
        data_dir / "langid" / "danes" / "title_slug_pairs.tsv",
    ]
    missing = [p for p in needed if not p.is_file()]
    if missing:
        print(
            f"error: eval language: data not found: {missing[0]} (pass --data DIR with langid/ inside)",
            file=sys.stderr,
        )
        return 2
    report = evaluate(load(data_dir))
    print(json.dumps(report, indent=2) if as_json else _table(report))
    return 0

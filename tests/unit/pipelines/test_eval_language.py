"""`newsarchive eval language`: the 42 more Latin-script languages are loaded, scored and held to 0 false vi.

The data directory is built here from sentences written for the test (no shared data).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.evaluation import language as ev

VI = "Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác năm và đề ra nhiệm vụ trọng tâm cho năm tới."
PT = "O governo do estado apresentou ontem o plano de obras para o próximo ano na assembleia."


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "langid"
    lingua = root / "lingua_testdata"
    for dataset in ("sentences", "single-words", "word-pairs"):
        for lang in ev.LINGUA_LANGS:
            _write(lingua / dataset / f"{lang}.txt", [VI if lang == "vi" else "The council met on Monday."])
    for lang in ev.LATIN_SENTENCE_LANGS:
        _write(lingua / "sentences" / f"{lang}.txt", [PT])
    for code in ev.UDHR_CODES:
        _write(root / "udhr" / f"{code}.txt", [VI if code == "vie" else "All human beings are born free."])
    _write(
        root / "danes" / "title_slug_pairs.tsv",
        ["title_with_diacritics\turl_slug_without_diacritics\turl", f"{VI}\tuy-ban-nhan-dan\thttp://a.vn/x"],
    )
    return tmp_path


def test_every_latin_language_is_loaded_as_sentences(data_dir: Path) -> None:
    items = ev.load(data_dir)
    loaded = {item.truth for item in items if item.dataset == "sentences"}
    assert set(ev.LATIN_SENTENCE_LANGS) <= loaded
    assert len(ev.LATIN_SENTENCE_LANGS) == 42


def _scored(truth: str, ours: str) -> ev.Scored:
    return ev.Scored("sentences", truth, 40, ours, ours, ours, False)


def test_one_false_vi_fails_a_latin_language() -> None:
    clean = ev._row("sentences", "pt", [_scored("pt", "pt")] * 999 + [_scored("pt", "es")])
    assert (clean["target"], clean["status"], clean["as_vi_count_ours"]) == ("as_vi=0", "PASS", 0)
    one = ev._row("sentences", "pt", [_scored("pt", "pt")] * 999 + [_scored("pt", "vi")])
    assert one["status"] == "FAIL" and one["as_vi_count_ours"] == 1
    # the first nine languages keep their 1% target
    assert ev._row("sentences", "fr", [_scored("fr", "fr")] * 999 + [_scored("fr", "vi")])["status"] == "PASS"


def test_norwegian_recall_uses_langdetects_label() -> None:
    assert ev._row("sentences", "nb", [_scored("nb", "no")])["recall_ours"] == 1.0


def test_evaluate_makes_the_latin_targets_part_of_pass_fail(data_dir: Path) -> None:
    report = ev.evaluate(ev.load(data_dir), workers=1)
    rows = {(r["set"], r["lang"]): r for r in report["rows"]}  # type: ignore[attr-defined]
    assert all(rows[("sentences", lang)]["status"] == "PASS" for lang in ev.LATIN_SENTENCE_LANGS)
    _write(data_dir / "langid" / "lingua_testdata" / "sentences" / "sq.txt", [PT, VI])
    failing = ev.evaluate(ev.load(data_dir), workers=1)
    assert not failing["all_targets_pass"]
    assert [r["lang"] for r in failing["rows"] if r["status"] == "FAIL"] == ["sq"]  # type: ignore[attr-defined]


def test_missing_language_file_is_one_clear_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data_dir / "langid" / "lingua_testdata" / "sentences" / "zu.txt").unlink()
    assert ev.run(data_dir) == 2
    assert capsys.readouterr().err.strip().endswith("zu.txt (pass --data DIR with langid/ inside)")

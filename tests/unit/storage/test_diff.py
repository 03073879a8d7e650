"""The bounded diff shared by `show --diff --words` and the browser: sentences first, words within."""

from __future__ import annotations

import random
import time

import pytest

from storage.export import versions
from storage.export.versions import MAX_DIFF_WORDS, DiffTooLarge, diff_texts, format_word_diff
from tests.unit.archive_sample import Sample, invoke


def test_small_edits_are_word_changes() -> None:
    old = "Người dân ở xã A dùng nước sạch từ năm 2020. Hôm nay trời đẹp."
    new = "Người dân ở xã B dùng nước sạch từ năm 2021. Hôm nay trời đẹp."
    assert format_word_diff(diff_texts(old, new)) == (
        "Người dân ở xã[- A-]{+ B+} dùng nước sạch từ năm[- 2020.-]{+ 2021.+} Hôm nay trời đẹp."
    )


def test_a_rewritten_sentence_is_replaced_whole() -> None:
    # Word by word, the two sentences would interleave ("dụngDịp"); whole, each reads as written.
    old = "Người dân sử dụng nước sạch của nhà máy. Hôm nay trời đẹp."
    new = "Dịp này công nhân của nhà máy nghỉ lễ. Hôm nay trời đẹp."
    assert format_word_diff(diff_texts(old, new)) == (
        "[-Người dân sử dụng nước sạch của nhà máy.-]"
        "{+Dịp này công nhân của nhà máy nghỉ lễ.+} Hôm nay trời đẹp."
    )


def test_every_character_is_kept() -> None:
    random.seed(3)
    words = ["cầu", "sông", "Đà", "xã", "năm", "2024."]
    old = " ".join(random.choice(words) for _ in range(400)) + "\n\nCuối bài.  "
    new = old.replace("sông", "suối", 7) + " Thêm."
    changes = diff_texts(old, new)
    assert "".join(c.text for c in changes if c.kind != "removed") == new
    assert "".join(c.text for c in changes if c.kind != "added") == old


def _version(rng: random.Random, words: int) -> str:
    vocabulary = ["nhân", "dân", "tỉnh", "Hòa", "Bình", "cầu", "sông", "Đà", "công", "dụng", "của", "và"]
    sentences = [" ".join(rng.choice(vocabulary) for _ in range(12)) + "." for _ in range(words // 12)]
    return "\n".join(" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5))


@pytest.mark.parametrize("edit", ["every sentence touched", "rewritten", "repetitive"])
def test_ten_thousand_words_in_well_under_a_second(edit: str) -> None:
    # SequenceMatcher over the words of 12,000-word versions took 50 s.
    rng = random.Random(edit)
    old = _version(rng, 10_000)
    if edit == "every sentence touched":
        new = " ".join(word if rng.random() > 0.05 else "MỚI" for word in old.split(" "))
    elif edit == "rewritten":
        new = _version(rng, 10_000)
    else:
        old = " ".join(f"Câu số {i % 7} ở đây." for i in range(2000))
        new = " ".join(f"Câu số {rng.randrange(7)} ở đây." for _ in range(2000))
    started = time.monotonic()
    changes = diff_texts(old, new)
    assert time.monotonic() - started < 1.0
    assert "".join(c.text for c in changes if c.kind != "removed") == new


def test_too_large_is_refused_in_one_line() -> None:
    text = "chữ " * (MAX_DIFF_WORDS // 2 + 1)
    with pytest.raises(
        DiffTooLarge, match=r"^the two versions have 100,003 words together; diffs stop at 100,000$"
    ):
        diff_texts(text, text + "nữa")


def test_show_diff_words_too_large_is_one_line(sample: Sample, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(versions, "MAX_DIFF_WORDS", 10)
    result = invoke("show", str(sample.ids["origin"]), "--db", sample.url, "--diff", "1", "2", "--words")
    assert result.exit_code == 1
    assert result.stderr == "error: the two versions have 41 words together; diffs stop at 10\n"

"""langdetect's Detector with its per-character and per-update loops made cheaper, giving bit-for-bit the
probabilities the stock seeded Detector gives (tests/unit/pipelines/test_seeded_langdetect.py compares the
two on generated texts; `newsarchive eval language` spot-checks it on the shared data).

Where the stock Detector spent a page's CPU (cProfile over the real pages' 1,000-character samples):
- n-gram extraction, ~55%: one Python call chain per character (NGram.add_char -> normalize ->
  unicode_block's binary search). Here a character's normalisation is looked up in a table filled once per
  distinct character, and the n-grams of a word (they depend on the word alone: the n-gram buffer restarts
  at every space) are cached per word, as rows of the profile matrix.
- the 7 trials of random n-gram updates, ~40%: a Python loop over the 55 languages per update. Here numpy
  on the matrix rows. Elementwise float sums, products and quotients round exactly as Python's do, so what
  matters is the order: the 5 updates between two convergence tests are one left-to-right multiply.reduce,
  and the normalisation's sum stays Python's builtin sum (numpy's would be pairwise). The random.Random
  calls are the stock ones, in the same order: seed, then per trial one gauss and one choice per update,
  so the trials draw the same n-grams.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

import numpy as np
from langdetect import DetectorFactory, LangDetectException
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode
from langdetect.utils.ngram import NGram

# Detector.cleaning_text drops the characters 'A'..'z' (ASCII letters and [\]^_`) from mostly non-Latin text.
_DROP_LATIN = str.maketrans("", "", "".join(map(chr, range(ord("A"), ord("z") + 1))))
_SPACES = re.compile("  +")
_WORD_CACHE = 1 << 16  # distinct words whose n-grams are kept; news vocabulary repeats heavily
_CHECK_EVERY = 5  # Detector._detect_block normalises and tests for convergence every 5 updates


class SeededModel:
    """What the fast Detectors of one loaded DetectorFactory share: the profiles as one float64 matrix (a row
    per n-gram, 87,598 x 55, 38 MB: built once, in the workers' forkserver by pipelines.analysis.preload, so
    the workers share it), the character normalisation table and the per-word n-gram cache."""

    def __init__(self, factory: DetectorFactory) -> None:
        self.factory = factory
        table: dict[str, list[float]] = factory.word_lang_prob_map
        self.names = list(table)  # row -> n-gram
        self._row_of = {gram: row for row, gram in enumerate(self.names)}
        self.matrix = np.array(list(table.values()), dtype=np.float64)
        self._normal: dict[int, str] = {}  # ord(ch) -> NGram.normalize(ch), for str.translate
        self._latin_class: dict[str, int] = {}  # ch -> 1 Latin, 2 non-Latin, 0 neither (cleaning_text)
        self.word_rows = functools.lru_cache(maxsize=_WORD_CACHE)(self._word_rows)

    def create(self) -> SeededDetector:
        return SeededDetector(self)

    def words(self, text: str) -> list[tuple[str, bool]]:
        """The normalised words of a Detector's text in order, each with whether a space follows it. The
        n-gram buffer restarts at every space, so the text's n-grams are its words' n-grams in this order."""
        table = self._normal
        for ch in set(text):
            if ord(ch) not in table:
                table[ord(ch)] = NGram.normalize(ch)
        words = text.translate(table).split(" ")
        last = len(words) - 1
        return [(word, index < last) for index, word in enumerate(words) if word]

    def latin_counts(self, text: str) -> tuple[int, int]:
        """(Latin, non-Latin) character counts exactly as Detector.cleaning_text counts them."""
        classes = self._latin_class
        latin = non_latin = 0
        for ch, count in Counter(text).items():
            kind = classes.get(ch)
            if kind is None:
                if "A" <= ch <= "z":
                    kind = 1
                elif ch >= "\u0300":  # langdetect also tests unicode_block(ch) != "Latin Extended
                    kind = 2  # Additional", always true (blocks are ints): ẹ ọ ể count as non-Latin too
                else:
                    kind = 0
                classes[ch] = kind
            if kind == 1:
                latin += count
            elif kind == 2:
                non_latin += count
        return latin, non_latin

    def _word_rows(self, word: str, spaced: bool) -> tuple[int, ...]:
        """The matrix rows of the known n-grams NGram yields for one normalised ``word`` (no spaces) after a
        space or at the start of the text, and, when ``spaced``, for the space after it. As in
        Detector._extract_ngrams: at each character, the 1-, 2- and 3-grams ending there (the buffer holds
        the last 3 characters, starting from a space), none at a capital that follows a capital
        (NGram.capitalword), never the lone space."""
        row_of = self._row_of
        spelled = " " + word + " " if spaced else " " + word
        rows: list[int] = []
        for end in range(1, len(spelled)):
            ch = spelled[end]
            if ch.isupper() and spelled[end - 1].isupper():
                continue
            pair = spelled[end - 1 : end + 1]
            grams = (ch, pair, spelled[end - 2 : end + 1]) if end > 1 else (ch, pair)
            for gram in grams:
                row = row_of.get(gram)
                if row is not None and gram != " ":
                    rows.append(row)
        return tuple(rows)


class SeededDetector(Detector):
    """A Detector whose get_probabilities() equals the stock one's float for float (same factory, same seed,
    no prior map); only append, cleaning_text, _extract_ngrams and _detect_block are replaced."""

    text: str  # langdetect is untyped: Detector.__init__ sets it to ""

    def __init__(self, model: SeededModel) -> None:
        super().__init__(model.factory)
        self.model = model

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        self.text += _SPACES.sub(" ", text[: self.max_text_length])  # runs of spaces kept as one

    def cleaning_text(self) -> None:
        latin, non_latin = self.model.latin_counts(self.text)
        if latin * 2 < non_latin:
            self.text = self.text.translate(_DROP_LATIN)

    def _extract_ngrams(self) -> list[str]:
        names = self.model.names
        return [names[row] for row in self._ngram_rows()]

    def _ngram_rows(self) -> list[int]:
        """The matrix row of each of the text's n-grams, in _extract_ngrams's order."""
        rows: list[int] = []
        for word, spaced in self.model.words(self.text):
            rows.extend(self.model.word_rows(word, spaced))
        return rows

    def _detect_block(self) -> None:
        if self.prior_map is not None or self.verbose:
            super()._detect_block()  # not used here; the stock code stays the reference
            return
        self.cleaning_text()
        picks = self._ngram_rows()  # choice(picks) draws the row of the n-gram choice(ngrams) would draw
        if not picks:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        rows = self.model.matrix
        size = len(self.langlist)
        langprob = np.zeros(size)
        block = np.empty((_CHECK_EVERY + 1, size))
        rng = self.random
        choice = rng.choice
        rng.seed(self.seed)
        for _ in range(self.n_trial):
            prob = np.full(size, 1.0 / size)
            alpha = self.alpha + rng.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            # Stock: update i, normalise and test when i % 5 == 0. The draws do not depend on the
            # probabilities, so the 5 updates between two tests are done at once: the 5 factor rows
            # (weight + profile row), then prob * f1 * f2 * ... * f5 left to right (multiply.reduce over
            # the rows axis folds in order), each product rounded as the stock loop rounds it.
            prob *= weight + rows[choice(picks)]
            i = 0
            while _normalise(prob) <= self.CONV_THRESHOLD and i < self.ITERATION_LIMIT:
                np.add(rows[[choice(picks) for _ in range(_CHECK_EVERY)]], weight, out=block[1:])
                block[0] = prob
                np.multiply.reduce(block, axis=0, out=prob)
                i += _CHECK_EVERY
            langprob += prob / self.n_trial
        self.langprob = langprob.tolist()


def _normalise(prob: np.ndarray) -> float:
    """Detector._normalize_prob in place: divide by the sum (Python's, in langdetect's order), return the
    largest quotient (division by a positive number keeps the order, so it is max / sum)."""
    values = prob.tolist()
    total = sum(values)
    if total == 0.0:
        raise ZeroDivisionError("float division by zero")  # as the stock loop would
    prob /= total
    return max(values) / total

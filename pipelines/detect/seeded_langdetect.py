"""langdetect's Detector with its per-character and per-update loops made cheaper, giving bit-for-bit the
probabilities the stock seeded Detector gives (tests/unit/pipelines/test_seeded_langdetect.py compares the
two on generated texts; `newsarchive eval language` spot-checks it on the shared data).

Where the stock Detector spent a page's CPU (cProfile over the real pages' 1,000-character samples):
- n-gram extraction, ~55%: one Python call chain per character (NGram.add_char -> normalize ->
  unicode_block's binary search). Here a character's normalisation is looked up in a table filled once per
  distinct character, and the n-grams of a word (they depend on the word alone: the n-gram buffer restarts
  at every space) are cached per word.
- the 7 trials of random n-gram updates, ~40%: a Python loop over the ~55 languages per update. Here one
  numpy multiply per update. Elementwise float products, sums and quotients round exactly as Python's do,
  so the only order that matters is the normalisation's sum, which stays Python's builtin sum (sequential in
  3.11; numpy's would be pairwise). The random.Random calls are the stock ones, in the same order: seed,
  then per trial one gauss and one choice per update, so the trials draw the same n-grams.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter

import numpy as np
from langdetect import DetectorFactory, LangDetectException
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode
from langdetect.utils.ngram import NGram
from langdetect.utils.unicode_block import UNICODE_LATIN_EXTENDED_ADDITIONAL, unicode_block

# Detector.cleaning_text drops the characters 'A'..'z' (ASCII letters and [\]^_`) from mostly non-Latin text.
_DROP_LATIN = str.maketrans("", "", "".join(map(chr, range(ord("A"), ord("z") + 1))))
_SPACES = re.compile("  +")
_WORD_CACHE = 1 << 16  # distinct words whose n-grams are kept; news vocabulary repeats heavily
_CHECK_EVERY = 5  # Detector._detect_block normalises and tests for convergence every 5 updates


class SeededModel:
    """What the fast Detectors of one loaded DetectorFactory share: the character normalisation table, the
    per-word n-gram caches, and the profile rows of the n-grams met so far as one float64 matrix. The matrix
    fills lazily: all 87,598 n-grams x 55 languages would be 38 MB per worker, and news uses few of them."""

    def __init__(self, factory: DetectorFactory) -> None:
        self.factory = factory
        self.table: dict[str, list[float]] = factory.word_lang_prob_map
        self.languages = len(factory.langlist)
        self._normal: dict[int, str] = {}  # ord(ch) -> NGram.normalize(ch), for str.translate
        self._latin_class: dict[str, int] = {}  # ch -> 1 Latin, 2 non-Latin, 0 neither (cleaning_text)
        self._lock = threading.Lock()  # one writer at a time grows the matrix
        self._row_of: dict[str, int] = {}  # n-gram -> its row in self.matrix
        self.matrix = np.empty((256, self.languages), dtype=np.float64)
        self._used = 0
        self.word_ngrams = functools.lru_cache(maxsize=_WORD_CACHE)(self._word_ngrams)
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
                elif ch >= "\u0300" and unicode_block(ch) != UNICODE_LATIN_EXTENDED_ADDITIONAL:
                    kind = 2
                else:
                    kind = 0
                classes[ch] = kind
            if kind == 1:
                latin += count
            elif kind == 2:
                non_latin += count
        return latin, non_latin

    def _word_ngrams(self, word: str, spaced: bool) -> tuple[str, ...]:
        """The known n-grams NGram yields for one normalised ``word`` (no spaces) that follows a space or
        starts the text, and, when ``spaced``, the space after it: Detector._extract_ngrams's loop."""
        table = self.table
        found: list[str] = []
        grams = " "
        capital = False
        for ch in word + " " if spaced else word:
            last = grams[-1]
            if last == " ":
                grams = " "
                capital = False
            elif len(grams) >= NGram.N_GRAM:
                grams = grams[1:]
            grams += ch
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            for n in range(1, NGram.N_GRAM + 1):
                if len(grams) < n:
                    break
                gram = grams[-n:]
                if gram != " " and gram in table:
                    found.append(gram)
        return tuple(found)

    def _word_rows(self, word: str, spaced: bool) -> tuple[int, ...]:
        """The rows in self.matrix of the word's n-grams (self.word_ngrams), the missing ones added."""
        grams = self.word_ngrams(word, spaced)
        row_of = self._row_of
        if not all(gram in row_of for gram in grams):
            with self._lock:
                missing = list(dict.fromkeys(gram for gram in grams if gram not in row_of))
                used = self._used
                if used + len(missing) > len(self.matrix):
                    grown = np.empty((max(2 * len(self.matrix), used + len(missing)), self.languages))
                    grown[:used] = self.matrix[:used]
                    self.matrix = grown
                self.matrix[used : used + len(missing)] = [self.table[gram] for gram in missing]
                self._used = used + len(missing)
                for offset, gram in enumerate(missing):  # published once its row is in self.matrix
                    row_of[gram] = used + offset
        return tuple(row_of[gram] for gram in grams)


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
        found: list[str] = []
        for word, spaced in self.model.words(self.text):
            found.extend(self.model.word_ngrams(word, spaced))
        return found

    def _detect_block(self) -> None:
        if self.prior_map is not None or self.verbose:
            super()._detect_block()  # not used here; the stock code stays the reference
            return
        self.cleaning_text()
        picks: list[int] = []  # the matrix row of each n-gram: choice(picks) draws what choice(ngrams) would
        for word, spaced in self.model.words(self.text):
            picks.extend(self.model.word_rows(word, spaced))
        if not picks:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        rows = self.model.matrix  # read after the picks: the current matrix holds every published row
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

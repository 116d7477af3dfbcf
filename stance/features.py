"""Word TF-IDF features at tag time: a fitted vectorizer's arrays, without scikit-learn.

Training fits scikit-learn's ``TfidfVectorizer`` inside the model's
``Pipeline``; tagging needs only what it learned — the vocabulary, the IDF
weights and the settings — and ``WordTfidf`` holds just that, as plain
arrays and JSON. It gives exactly the vectorizer's own matrix (the tests
compare them bit for bit), faster: scikit-learn joins every bigram of every
sentence into a string and looks it up in the vocabulary one at a time, in
Python; here each token is looked up once, as a number, and the bigrams are
found all at once with numpy, as pairs of token numbers. A ``stance tag``
run then never imports scikit-learn (over a second of its start-up).

Plain word unigrams and bigrams only: ``from_vectorizer`` refuses other
settings (a character analyzer, a custom tokenizer, stripped accents,
trigrams) rather than approximate them.

>>> from sklearn.feature_extraction.text import TfidfVectorizer
>>> v = TfidfVectorizer(ngram_range=(1, 2), stop_words="english").fit(["export controls bite", "chips"])
>>> (WordTfidf.from_vectorizer(v).transform(["New export controls."]) != v.transform(["New export controls."])).nnz
0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

NORMS = ("l2", None)
# token pattern -> a faster one that finds the same tokens (a greedy run of word characters
# starts and ends where a word does; where a run of digits alone is refused at its start,
# every later start inside it is a run of digits too)
_SAME_TOKENS = {r"(?u)\b\w\w+\b": r"\w\w+", r"(?u)\b(?!\d+\b)\w\w+\b": r"(?!\d+\b)\w\w+"}


@dataclass(frozen=True, eq=False)
class WordTfidf:
    """A fitted word TF-IDF vectorizer's tag-time parts (see the module docstring).

    ``terms`` are the feature names in column order ("export", "export controls");
    ``idf`` their weights, or None when the vectorizer used none.
    """

    terms: tuple[str, ...]
    idf: np.ndarray | None
    ngram: int = 1  # 1: unigrams; 2: unigrams and bigrams
    lowercase: bool = True
    token_pattern: str = r"(?u)\b\w\w+\b"
    stop_words: frozenset[str] = frozenset()
    sublinear_tf: bool = False
    norm: str | None = "l2"
    binary: bool = False

    def __post_init__(self) -> None:
        if self.ngram not in (1, 2):
            raise ValueError(f"word n-grams up to 1 or 2 words are supported, not {self.ngram}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, not {self.norm!r}")
        if self.idf is not None and self.idf.shape != (len(self.terms),):
            raise ValueError(f"{len(self.terms)} terms but {self.idf.shape} IDF weights")
        if re.compile(self.token_pattern).groups > 1:
            raise ValueError("the token pattern has more than one capturing group")

    @classmethod
    def from_vectorizer(cls, vectorizer) -> "WordTfidf":
        """The parts of a fitted ``TfidfVectorizer``; ``ValueError`` for settings this does not reproduce."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not isinstance(vectorizer, TfidfVectorizer):
            raise ValueError(f"a fitted TfidfVectorizer is needed, not {type(vectorizer).__name__}")
        low, high = vectorizer.ngram_range
        plain = (
            vectorizer.analyzer == "word" and vectorizer.tokenizer is None and vectorizer.preprocessor is None
            and vectorizer.strip_accents is None and vectorizer.input == "content" and low == 1
            and np.dtype(vectorizer.dtype) == np.float64
        )
        if not plain:
            raise ValueError("only plain word n-grams (a token pattern, no custom analyzer, tokenizer or accent stripping) are supported")
        vocabulary = vectorizer.vocabulary_
        terms = tuple(sorted(vocabulary, key=vocabulary.get))
        if any(len(term.split(" ")) > high or "" in term.split(" ") for term in terms):
            raise ValueError("a term holds more words than the n-gram range, or a space of its own")
        return cls(
            terms=terms,
            idf=np.asarray(vectorizer.idf_, dtype=np.float64) if vectorizer.use_idf else None,
            ngram=high,
            lowercase=bool(vectorizer.lowercase),
            token_pattern=vectorizer.token_pattern,
            stop_words=frozenset(vectorizer.get_stop_words() or ()),
            sublinear_tf=bool(vectorizer.sublinear_tf),
            norm=vectorizer.norm,
            binary=bool(vectorizer.binary),
        )

    def settings(self) -> dict:
        """Everything but the IDF weights, as JSON-ready values (``WordTfidf(**settings, idf=...)`` rebuilds it)."""
        return {
            "terms": list(self.terms),
            "ngram": self.ngram,
            "lowercase": self.lowercase,
            "token_pattern": self.token_pattern,
            "stop_words": sorted(self.stop_words),
            "sublinear_tf": self.sublinear_tf,
            "norm": self.norm,
            "binary": self.binary,
        }

    @classmethod
    def from_settings(cls, settings: dict, idf: np.ndarray | None) -> "WordTfidf":
        known = {"terms", "ngram", "lowercase", "token_pattern", "stop_words", "sublinear_tf", "norm", "binary"}
        if set(settings) != known:
            raise ValueError(f"expected the settings {sorted(known)}, got {sorted(settings)}")
        # as ``settings`` writes them: anything else was edited in ("yes" would read as true)
        kinds = {"terms": list, "stop_words": list, "ngram": int, "lowercase": bool, "token_pattern": str, "sublinear_tf": bool, "binary": bool}
        wrong = [name for name, kind in kinds.items() if type(settings[name]) is not kind]
        wrong += [name for name in ("terms", "stop_words") if name not in wrong and not all(isinstance(word, str) for word in settings[name])]
        if wrong:
            raise ValueError(f"the settings {', '.join(wrong)} are not of the kind saved")
        if len(set(settings["terms"])) != len(settings["terms"]):  # one of its columns would never be filled
            raise ValueError("a term is listed twice")
        values = dict(settings, terms=tuple(map(str, settings["terms"])), stop_words=frozenset(map(str, settings["stop_words"])))
        return cls(**values, idf=idf)

    def transform(self, texts: Sequence[str], tokens: Sequence[list[str]] | None = None) -> sp.csr_matrix:
        """The TF-IDF matrix of ``texts``: what the fitted vectorizer's ``transform`` gives."""
        return self.weigh(self.counts(texts, tokens))

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Counts to TF-IDF, as ``TfidfTransformer.transform`` does it, step for step.

        The row norms are summed in the order scikit-learn's compiled loop sums
        them (a sparse product with ones adds each row's values one by one),
        so every value is the same to the last bit. A float64 CSR ``counts``
        is weighed in place (the callers here make it fresh); others are converted.
        """
        X = counts if isinstance(counts, sp.csr_matrix) and counts.dtype == np.float64 else sp.csr_matrix(counts, dtype=np.float64)
        if self.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= self.idf[X.indices]
        if self.norm == "l2":
            squares = sp.csr_matrix((X.data * X.data, X.indices, X.indptr), shape=X.shape)
            norms = np.sqrt(squares @ np.ones(X.shape[1]))
            norms[norms == 0.0] = 1.0
            X.data /= np.repeat(norms, np.diff(X.indptr))
        return X

    @property
    def tokenizing(self) -> tuple[bool, str, frozenset[str]]:
        """What decides a text's tokens: two blocks that agree on it can share them (``tokens``)."""
        return self.lowercase, self.token_pattern, self.stop_words

    def tokens(self, text: str) -> list[str]:
        """The tokens of ``text`` that count, in order: lower-cased if so set, stop words left out."""
        return [t for t in self._findall(text.lower() if self.lowercase else text) if t not in self.stop_words]

    def tokenize(self, texts: Iterable[str], memo: dict[str, list[str]] | None = None) -> list[list[str]]:
        """``tokens`` of each text. ``memo`` keeps them by text: give the same dict to blocks
        whose ``tokenizing`` agrees, and each distinct text is tokenized once."""
        if memo is None:
            return [self.tokens(text) for text in texts]
        out = []
        for text in texts:
            found = memo.get(text)
            if found is None:
                found = memo[text] = self.tokens(text)
            out.append(found)
        return out

    def counts(self, texts: Sequence[str], tokens: Sequence[list[str]] | None = None) -> sp.csr_matrix:
        """Term counts of ``texts``: what the fitted ``CountVectorizer.transform`` gives.

        ``tokens``: each text's ``tokens(text)``, when the caller has them already.
        """
        index = self._index
        get = index.token_id.get
        ids: list[int] = []
        lengths: list[int] = []
        for found in tokens if tokens is not None else map(self.tokens, texts):
            before = len(ids)
            ids.extend([get(t, -1) for t in found])
            lengths.append(len(ids) - before)
        n = len(lengths)
        token = np.array(ids, dtype=np.int64)
        row = np.repeat(np.arange(n), lengths)
        known = token >= 0
        column = np.full(len(token), -1, dtype=np.int64)
        column[known] = index.unigram_column[token[known]]
        rows, cols = [row[column >= 0]], [column[column >= 0]]
        if len(index.bigram_codes) and len(token) > 1:
            # Neighbouring tokens of one text, both known: a bigram, if the vocabulary has it.
            pair = (row[:-1] == row[1:]) & known[:-1] & known[1:]
            codes = token[:-1][pair] * len(index.token_id) + token[1:][pair]
            at = np.minimum(np.searchsorted(index.bigram_codes, codes), len(index.bigram_codes) - 1)
            hit = index.bigram_codes[at] == codes
            rows.append(row[:-1][pair][hit])
            cols.append(index.bigram_columns[at[hit]])
        r, c = np.concatenate(rows), np.concatenate(cols)
        counts = sp.csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(n, len(self.terms)))
        counts.sum_duplicates()  # also sorts the indices, as scikit-learn's are
        if self.binary:
            counts.data.fill(1)
        return counts

    @cached_property
    def _findall(self):
        # scikit-learn's default pattern finds the same tokens as plain runs of two or more
        # word characters (a greedy run ends where the word does), a sixth faster.
        return re.compile(_SAME_TOKENS.get(self.token_pattern, self.token_pattern)).findall

    @cached_property
    def _index(self) -> "_Index":
        token_id: dict[str, int] = {}
        unigrams: list[tuple[int, int]] = []
        bigrams: list[tuple[int, int, int]] = []
        for col, term in enumerate(self.terms):
            ids = [token_id.setdefault(p, len(token_id)) for p in term.split(" ")]
            if len(ids) == 1:
                unigrams.append((ids[0], col))
            else:
                bigrams.append((ids[0], ids[1], col))
        unigram_column = np.full(len(token_id), -1, dtype=np.int64)
        for tid, col in unigrams:
            unigram_column[tid] = col
        codes = np.array([a * len(token_id) + b for a, b, _ in bigrams], dtype=np.int64)
        order = np.argsort(codes)
        columns = np.array([col for _, _, col in bigrams], dtype=np.int64)
        return _Index(token_id, unigram_column, codes[order], columns[order])


@dataclass(frozen=True)
class _Index:
    """The vocabulary as numbers: every token that is or starts a term."""

    token_id: dict[str, int]
    unigram_column: np.ndarray  # token id -> column, or -1
    bigram_codes: np.ndarray  # sorted first * n_tokens + second, of every bigram term
    bigram_columns: np.ndarray  # their columns, in the same order

"""Word n-gram counts for a fitted vectorizer, the same as its own, faster.

scikit-learn's ``CountVectorizer.transform`` (and so ``TfidfVectorizer``'s)
joins every bigram of every sentence into a string and looks it up in the
vocabulary one at a time, in Python: one of the larger costs of ``stance tag``.
Here each token is looked up once, as a number, and the bigrams are found
all at once with numpy, as pairs of token numbers. The result is exactly the
vectorizer's own (the tests compare them); settings this does not cover (a
character analyzer, a custom tokenizer, accents stripped, trigrams) fall back
to scikit-learn.

>>> from sklearn.feature_extraction.text import TfidfVectorizer
>>> v = TfidfVectorizer(ngram_range=(1, 2), stop_words="english").fit(["export controls bite", "chips"])
>>> (transform(v, ["New export controls."]) != v.transform(["New export controls."])).nnz
0
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer


@dataclass(frozen=True)
class _Index:
    """A vectorizer's vocabulary as numbers: every token that is or starts a feature."""

    token_id: dict[str, int]
    unigram_column: np.ndarray  # token id -> column, or -1
    bigram_codes: np.ndarray  # sorted first * n_tokens + second, of every bigram feature
    bigram_columns: np.ndarray  # their columns, in the same order
    n_columns: int


# Per fitted vectorizer: the vocabulary it was built from (to notice a refit), and its index.
_INDEXES: weakref.WeakKeyDictionary[CountVectorizer, tuple[dict, _Index | None]] = weakref.WeakKeyDictionary()


def transform(transformer, texts: Sequence[str]) -> sp.csr_matrix:
    """``transformer.transform(texts)`` as a CSR matrix, counted here for a word vectorizer where it can."""
    fast = _word_counts(transformer, texts) if isinstance(transformer, CountVectorizer) else None
    if fast is None:
        return sp.csr_matrix(transformer.transform(texts))
    if isinstance(transformer, TfidfVectorizer):
        return sp.csr_matrix(transformer._tfidf.transform(fast, copy=False))
    return fast


def counts(vectorizer: CountVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
    """What ``CountVectorizer.transform`` gives for ``texts`` (a TfidfVectorizer's counts before weighting)."""
    fast = _word_counts(vectorizer, texts)
    return sp.csr_matrix(CountVectorizer.transform(vectorizer, texts)) if fast is None else fast


def _word_counts(vectorizer: CountVectorizer, texts: Sequence[str]) -> sp.csr_matrix | None:
    """The counts, or None when the vectorizer's settings are not plain word unigrams or bigrams."""
    index = _index(vectorizer)
    if index is None:
        return None
    tokens = vectorizer.build_tokenizer()
    stop = vectorizer.get_stop_words() or frozenset()
    get = index.token_id.get
    ids: list[int] = []
    lengths: list[int] = []
    for text in texts:
        found = tokens(text.lower() if vectorizer.lowercase else text)
        before = len(ids)
        ids.extend([get(t, -1) for t in found if t not in stop])
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
    counts = sp.csr_matrix((np.ones(len(r), dtype=vectorizer.dtype), (r, c)), shape=(n, index.n_columns))
    counts.sum_duplicates()  # also sorts the indices, as scikit-learn's are
    if vectorizer.binary:
        counts.data.fill(1)
    return counts


def _index(vectorizer: CountVectorizer) -> _Index | None:
    vocabulary = getattr(vectorizer, "vocabulary_", None)
    if vocabulary is None:
        return None  # not fitted: scikit-learn says so
    built_from, index = _INDEXES.get(vectorizer, (None, None))
    if built_from is not vocabulary:
        index = _build_index(vectorizer, vocabulary)
        _INDEXES[vectorizer] = (vocabulary, index)
    return index


def _build_index(vectorizer: CountVectorizer, vocabulary: dict[str, int]) -> _Index | None:
    low, high = vectorizer.ngram_range
    plain = (
        vectorizer.analyzer == "word" and vectorizer.tokenizer is None and vectorizer.preprocessor is None
        and vectorizer.strip_accents is None and vectorizer.input == "content" and low == 1 and high in (1, 2)
    )
    if not plain:
        return None
    token_id: dict[str, int] = {}
    unigrams: list[tuple[int, int]] = []
    bigrams: list[tuple[int, int, int]] = []
    for feature, col in vocabulary.items():
        parts = feature.split(" ")
        if len(parts) > high or "" in parts:
            return None  # a token with a space in it: leave it to scikit-learn
        ids = [token_id.setdefault(p, len(token_id)) for p in parts]
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
    return _Index(token_id, unigram_column, codes[order], columns[order], len(vocabulary))

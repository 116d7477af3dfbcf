"""The fast word counts give exactly what scikit-learn's vectorizers give, on the seeds' real sentences."""

from __future__ import annotations

import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from stance.features import _word_counts, counts, transform


@pytest.fixture(scope="module")
def texts(seed_sentences) -> list[str]:
    out = [s.text for sentences in seed_sentences.values() for s in sentences]
    # Text the vocabulary never saw, and edge cases: nothing, one letter, only stop words, case.
    return out + ["", "a", "the of and", "Brand-new Zhongguancun start-ups", "EXPORT CONTROLS export Controls"]


def same(a, b) -> bool:
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    return a.shape == b.shape and (a != b).nnz == 0 and (a.indices == b.indices).all() and (a.indptr == b.indptr).all()


@pytest.mark.parametrize(
    "settings",
    [
        dict(ngram_range=(1, 2), stop_words="english", sublinear_tf=True),  # the model's word features
        dict(ngram_range=(1, 1), stop_words="english", sublinear_tf=True),  # its context features
        dict(ngram_range=(1, 2)),
        dict(ngram_range=(1, 2), lowercase=False, binary=True, min_df=2),
    ],
)
def test_counts_and_tfidf_equal_scikit_learns(texts, settings):
    fit_on, unseen = texts[::2], texts[1::2]  # half the sentences are new to the vocabulary
    vectorizer = TfidfVectorizer(**settings).fit(fit_on)
    assert _word_counts(vectorizer, unseen) is not None  # counted here, not left to scikit-learn
    assert same(counts(vectorizer, unseen), CountVectorizer.transform(vectorizer, unseen))
    assert same(transform(vectorizer, unseen), vectorizer.transform(unseen))


def test_a_refit_vectorizer_uses_its_new_vocabulary(texts):
    vectorizer = CountVectorizer(ngram_range=(1, 2)).fit(texts[:20])
    transform(vectorizer, texts)
    vectorizer.fit(texts[20:40])
    assert same(transform(vectorizer, texts), vectorizer.transform(texts))


def test_other_settings_give_scikit_learns_own(texts):
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(texts)
    trigrams = TfidfVectorizer(ngram_range=(1, 3)).fit(texts)
    for vectorizer in (chars, trigrams):
        assert _word_counts(vectorizer, texts[:10]) is None
        assert same(transform(vectorizer, texts[:10]), vectorizer.transform(texts[:10]))
        assert same(counts(vectorizer, texts[:10]), CountVectorizer.transform(vectorizer, texts[:10]))

"""The tag-time TF-IDF gives exactly what scikit-learn's vectorizers give, on the seeds' real sentences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from stance.features import WordTfidf


@pytest.fixture(scope="module")
def texts(seed_sentences) -> list[str]:
    out = [s.text for sentences in seed_sentences.values() for s in sentences]
    # Text the vocabulary never saw, and edge cases: nothing, one letter, only stop words, case.
    edge = ["", "a", "the of and", "Brand-new Zhongguancun start-ups", "EXPORT CONTROLS export Controls"]
    # Where tokens start and end: single letters, digits, underscores, letters beyond ASCII.
    edge += ["a b cd e_f 1 22 x1 _ __ naïve café's 中国 芯片出口 İstanbul a.b.c", "ab\ncd\tef-gh–ij"]
    return out + edge


def same(a, b) -> bool:
    """The same values to the last bit, in the same places."""
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    return (
        a.shape == b.shape
        and (a.indices == b.indices).all()
        and (a.indptr == b.indptr).all()
        and np.array_equal(a.data.view(np.int64), b.data.view(np.int64))
    )


@pytest.mark.parametrize(
    "settings",
    [
        dict(ngram_range=(1, 2), stop_words="english", sublinear_tf=True),  # the model's word features
        dict(ngram_range=(1, 1), stop_words="english", sublinear_tf=True),  # its context features
        dict(ngram_range=(1, 2)),
        dict(ngram_range=(1, 2), lowercase=False, binary=True, min_df=2),
        dict(ngram_range=(1, 1), use_idf=False, norm=None),
    ],
)
def test_counts_and_tfidf_equal_scikit_learns(texts, settings):
    fit_on, unseen = texts[::2], texts[1::2]  # half the sentences are new to the vocabulary
    vectorizer = TfidfVectorizer(**settings).fit(fit_on)
    tfidf = WordTfidf.from_vectorizer(vectorizer)
    assert same(tfidf.counts(unseen), CountVectorizer.transform(vectorizer, unseen))
    assert same(tfidf.transform(unseen), vectorizer.transform(unseen))


def test_settings_round_trip_through_json(texts):
    import json

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", sublinear_tf=True).fit(texts)
    tfidf = WordTfidf.from_vectorizer(vectorizer)
    again = WordTfidf.from_settings(json.loads(json.dumps(tfidf.settings())), tfidf.idf.copy())
    assert same(again.transform(texts), vectorizer.transform(texts))


def test_other_settings_are_refused_not_approximated(texts):
    for vectorizer in (
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(texts),
        TfidfVectorizer(ngram_range=(1, 3)).fit(texts),
        TfidfVectorizer(strip_accents="unicode").fit(texts),
        TfidfVectorizer(norm="l1").fit(texts),
        CountVectorizer().fit(texts),
    ):
        with pytest.raises(ValueError):
            WordTfidf.from_vectorizer(vectorizer)


def test_settings_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="IDF"):
        WordTfidf(terms=("a", "b"), idf=np.ones(3))
    with pytest.raises(ValueError, match="settings"):
        WordTfidf.from_settings({"terms": ["a"]}, None)


def test_settings_of_the_wrong_kind_or_a_term_twice_are_refused(texts):
    # What an edited linear.json could hold: each used to load, and tag with other features than
    # the trained ones ("no" read as true, a term twice leaving one of its columns empty).
    import json

    good = json.loads(json.dumps(WordTfidf.from_vectorizer(TfidfVectorizer(ngram_range=(1, 2)).fit(texts)).settings()))
    for key, bad in (("lowercase", "no"), ("sublinear_tf", 0), ("binary", None), ("ngram", True), ("stop_words", {"the": 1}),
                     ("stop_words", "the"), ("terms", list(range(len(good["terms"])))), ("terms", [good["terms"][0]] + good["terms"][1:-1] + [good["terms"][0]])):
        with pytest.raises(ValueError, match="twice|kind"):
            WordTfidf.from_settings(dict(good, **{key: bad}), None)
    assert WordTfidf.from_settings(good, None).terms == tuple(good["terms"])

"""The comparison on the seeds: real findings, honest statistics, evidence behind every number.

Most tests run on the seeds with their hand-made labels (``seed_tagged``), so
they check what the analysts annotated, not what a model happens to predict;
the CLI tests at the end go through the tagger.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from seed_tagged import seed_tagged
from stance.codebook import load_codebook
from stance.corpus import SEEDS_DIR
from stance.compare import (
    THIN,
    SentenceTable,
    adjusted_share,
    compare,
    contingency_test,
    distinctive_terms,
    evidence,
    gold_labels,
    label_quality,
    permutation_test,
    read_export,
    smallest_p,
    side_by_side,
    stance_index,
    wilson,
)
from stance.errors import StanceError
from stance.export import export_tagged, provenance

AXIS = "cooperation_vs_security"


@pytest.fixture(scope="module")
def tagged():
    return seed_tagged()


@pytest.fixture(scope="module")
def table(tagged, codebook):
    records, sources = tagged
    return SentenceTable.from_tagged(records, sources, codebook)


@pytest.fixture(scope="module")
def export_controls(table, codebook):
    return compare(table, codebook, topic="export_controls", terms=True)


def cell(result, group, topic="export_controls"):
    rows = [r for r in result.rows() if r["group"] == group and r["topic"] == topic]
    assert len(rows) == 1
    return rows[0]


# --- real findings on the seeds ---------------------------------------------------


def test_all_three_sources_write_about_export_controls(export_controls):
    n = {r["group"]: r["n"] for r in export_controls.rows()}
    assert set(n) == {"coppens", "merics", "outlet"}
    assert all(v > 0 for v in n.values()), n
    # MERICS, the think tank, leans on the security-risk lens; the Chinese outlet on economic gain.
    assert cell(export_controls, "merics")["frames"]["security_risk"]["count"] >= 3
    assert cell(export_controls, "outlet")["frames"]["security_risk"]["count"] == 0
    assert cell(export_controls, "outlet")["frames"]["economic_gain"]["count"] >= 3
    assert cell(export_controls, "merics")["stance"][AXIS]["index"] < 0 < cell(export_controls, "outlet")["stance"][AXIS]["index"]


def test_table_counts_equal_the_side_by_side_sentences(table, codebook):
    result = compare(table, codebook, topic="export_controls")
    columns = side_by_side(table, "export_controls")
    assert set(columns) == {"coppens", "merics", "outlet"}
    for row in result.rows():
        shown = columns[row["group"]]
        assert row["n"] == len(shown)
        assert set(row["sentence_ids"]) == set(shown["sentence_id"])
        for frame, value in row["frames"].items():
            assert value["count"] == sum(frame in f for f in shown["frames"])
        # document order: positions rise within each document
        for _, doc in shown.groupby("path"):
            assert list(doc["index"]) == sorted(doc["index"])
        assert all("export_controls" in t for t in shown["topics"])


def test_coverage_excludes_boilerplate_and_shares_add_up(table, codebook, tagged):
    result = compare(table, codebook)
    records, _ = tagged
    content = {s: sum(1 for t in records if t.source == s and not t.boilerplate) for s in ("coppens", "merics", "outlet")}
    cov = result.coverage
    for source, n in content.items():
        rows = cov[cov["group"] == source]
        assert set(rows["content"]) == {n}
        assert np.allclose(rows["share"], rows["sentences"] / n)
    boiler = [t for t in records if t.boilerplate]
    assert boiler and not set(t.sentence_id for t in boiler) & {i for r in result.rows() for i in r["sentence_ids"]}


def test_thin_cells_are_flagged_never_hidden(export_controls):
    coppens = cell(export_controls, "coppens")
    assert coppens["n"] < THIN and coppens["thin"] is True
    assert coppens["stance"][AXIS]["n"] == 0  # none of its 4 sentences uses either lens of the axis
    outlet = cell(export_controls, "outlet")
    assert outlet["stance"][AXIS]["n"] == 3 and outlet["stance"][AXIS]["index"] == 1.0
    summary = {r["group"]: r for r in export_controls.summary_rows()}
    assert summary["Pascal Coppens"]["thin"] == "thin" and summary["Pascal Coppens"][AXIS] == "n=0"
    assert "(thin)" in summary["Chinese outlet"][AXIS]  # an index on three sentences is shown, and flagged


def test_the_reading_names_who_deviates_and_says_n_is_small(export_controls):
    test = export_controls.tests["export_controls"]
    assert test.n == 14 and test.p_value is not None and 0 <= test.cramers_v <= 1
    assert "exact" in test.method  # expected counts are tiny: no chi-square approximation
    assert test.deviation["group"] == "merics" and test.deviation["frame"] == "security_risk"
    assert "MERICS" in test.reading and "Security & risk" in test.reading
    assert "n is small" in test.reading
    assert "no clear difference" in test.reading  # p = 0.09 on 14 sentences


def test_distinctive_language_of_each_source(export_controls):
    terms = export_controls.terms
    outlet = terms[terms["group"] == "outlet"]["term"].tolist()
    assert "japan" in outlet[:3]
    coppens = terms[terms["group"] == "coppens"]["term"].tolist()
    assert {"asml", "euv"} <= set(coppens)
    assert "export controls" in terms[terms["group"] == "merics"]["term"].tolist()  # bigrams count
    assert not {"the", "of", "and"} & set(terms["term"])  # stop words dropped
    assert (terms["z"] > 0).all()


def test_evidence_is_most_confident_first(table, codebook):
    data = table.data.copy()
    data["confidence"] = np.random.default_rng(0).random(len(data))
    shuffled = SentenceTable(data, table.topics, table.frames)
    result = compare(shuffled, codebook, topic="export_controls")
    confidence = dict(zip(data["sentence_id"], data["confidence"]))
    for row in result.rows():
        scores = [confidence[i] for i in row["sentence_ids"]]
        assert scores == sorted(scores, reverse=True)
    top = evidence(shuffled, topic="export_controls", group="merics", limit=3)
    assert list(top["sentence_id"]) == cell(result, "merics")["sentence_ids"][:3]
    assert {"source", "doc_id", "path", "index", "speaker", "text", "frames", "why"} <= set(top.columns)


def test_a_codebook_of_frames_alone_compares_every_sentence_of_each_source(tagged, codebook):
    # A codebook may have no topics; its stance is then taken over all of a source's sentences.
    from dataclasses import replace

    records, sources = tagged
    frames_only = replace(codebook, topics=())
    table = SentenceTable.from_tagged([r._replace(topics=()) for r in records], sources, frames_only)
    result = compare(table, frames_only)
    rows = result.rows()
    assert {r["topic"] for r in rows} == {"all"} and {r["group"] for r in rows} == {"coppens", "merics", "outlet"}
    for row in rows:
        content = [r for r in records if r.source == row["group"] and not r.boilerplate]
        assert row["n"] == len(content)
        framed = [r for r in content if {"cooperation", "security_risk"} & set(r.frames)]
        assert row["stance"][AXIS]["n"] == len(framed) > 0
        assert len(evidence(table, topic="all", group=row["group"])) == len(content)


# --- honest statistics --------------------------------------------------------------


def test_wilson_matches_scipy_and_stays_inside_the_range():
    for k, n in [(0, 1), (1, 1), (3, 4), (7, 20), (50, 100)]:
        ci = stats.binomtest(k, n).proportion_ci(method="wilson")
        low, high = wilson(k, n)
        assert low == pytest.approx(ci.low, abs=1e-9) and high == pytest.approx(ci.high, abs=1e-9)
    r = stance_index(np.array([0, 5]), np.array([0, 0]))
    assert np.isnan(r["index"][0]) and r["low"][0] == -1 and r["high"][0] == 1  # n = 0: say nothing
    assert r["index"][1] == 1 and r["high"][1] == 1 and r["low"][1] > 0


def _sentences(codebook, rows):
    """A table of made-up sentences on export controls: ``(source, doc_id, frames)`` per sentence."""
    data = pd.DataFrame([
        {"sentence_id": f"s{i}", "doc_id": doc, "source": source, "path": doc, "index": i, "boilerplate": False,
         "topics": ["export_controls"], "frames": frames, "labelled_by": "model", "confidence": 0.9}
        for i, (source, doc, frames) in enumerate(rows)
    ])
    return SentenceTable.from_frame(data, codebook)


def test_a_difference_found_says_the_test_counts_sentences_not_articles(codebook):
    # Two articles per source, each one-sided: 40 sentences give p < 0.001, but the evidence is four articles.
    rows = [(src, f"{src}{d}", [frame]) for src, frame in (("a", "cooperation"), ("b", "security_risk"))
            for d in range(2) for _ in range(10)]
    test = compare(_sentences(codebook, rows), codebook, topic="export_controls").tests["export_controls"]
    assert test.method == "chi-square" and test.p_value < 0.001
    assert "the sources differ" in test.reading
    assert "counts the 40 sentences as independent; they come from 4 documents" in test.reading


FRAMES3 = ("cooperation", "security_risk", "competition")


def _clustered(codebook, shift: float, *, documents: int = 10, seed: int = 0):
    """Two sources, ``documents`` articles of ten sentences each, every article leaning its own way.

    Each article's frame mix is drawn around its source's mean (Dirichlet,
    concentration 5); source b moves ``shift`` of the share from cooperation
    to security risk.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for source, move in (("a", 0.0), ("b", shift)):
        mean = np.array([1 / 3 - move, 1 / 3 + move, 1 / 3])
        for d in range(documents):
            mix = rng.dirichlet(5 * mean)
            rows += [(source, f"{source}{d}", [FRAMES3[f]]) for f in rng.choice(3, 10, p=mix)]
    return _sentences(codebook, rows)


def test_articles_that_lean_their_own_way_do_not_pass_for_a_difference_between_sources(codebook):
    # Same average mix, 10 articles a source: the sentence test said "differ" (p = 0.017 here, from
    # 200 sentences taken as independent); shuffling whole articles between sources does not (p = 0.17).
    table = _clustered(codebook, 0.0, seed=3)
    test = compare(table, codebook, topic="export_controls").tests["export_controls"]
    assert contingency_test(test.table)["p_value"] < 0.05
    assert test.method == "document permutation test (20,000 permutations of 20 documents)"
    assert test.p_value > 0.05 and "no clear difference" in test.reading
    assert "as independent" not in test.reading


def test_a_real_difference_across_many_articles_is_still_found(codebook):
    table = _clustered(codebook, 0.25, documents=30, seed=1)
    test = compare(table, codebook, topic="export_controls").tests["export_controls"]
    assert test.method == "document permutation test (20,000 permutations of 60 documents)"
    assert test.p_value < 0.001 and "the sources differ" in test.reading
    assert "as independent" not in test.reading


def test_one_document_per_source_keeps_the_sentence_test_and_its_caveat(codebook):
    rows = [(src, f"{src}1", [frame]) for src, frame in (("a", "cooperation"), ("b", "security_risk")) for _ in range(20)]
    rows += [("a", "a1", ["security_risk"])] * 5 + [("b", "b1", ["cooperation"])] * 5
    test = compare(_sentences(codebook, rows), codebook, topic="export_controls").tests["export_controls"]
    assert test.method == "chi-square" and test.p_value < 0.001
    assert "counts the 50 sentences as independent; they come from 2 documents" in test.reading


def test_the_permutation_test_is_exact_on_a_small_case_and_seeded():
    # Four documents a group, one frame each: the split 4-0 / 0-4 is the most extreme of the
    # 70 ways to deal them, matched only by its mirror image, so p tends to 2/70.
    counts = np.array([[3, 0]] * 4 + [[0, 3]] * 4)
    labels = np.repeat([0, 1], 4)
    statistic, p = permutation_test(counts, labels, permutations=20_000)
    assert statistic == pytest.approx(stats.chi2_contingency([[12, 0], [0, 12]], correction=False)[0])
    assert p == pytest.approx(2 / 70, abs=0.005)
    assert permutation_test(counts, labels, permutations=500, seed=4) == permutation_test(counts, labels, permutations=500, seed=4)
    assert smallest_p([4, 4]) == pytest.approx(2 / 70) and smallest_p([3, 3]) == pytest.approx(0.1)


def test_a_topic_without_framed_sentences_says_so(codebook):
    # was "no comparison possible — only no group has framed sentences on it (0 sentences)."
    result = compare(_sentences(codebook, [("a", "d1", []), ("b", "d2", [])]), codebook, topic="export_controls")
    test = result.tests["export_controls"]
    assert test.p_value is None and test.n == 0
    assert test.reading == "Export controls & tech restrictions: no comparison possible — none of its sentences carries a frame."


def test_the_interval_counts_documents_not_only_sentences(codebook):
    # Ten articles of five sentences, each article arguing one way throughout: the 50
    # sentences hold about as much evidence as the 10 articles, and the interval must say so.
    one_way = [("a", f"d{d}", ["cooperation" if d % 2 else "security_risk"]) for d in range(10) for _ in range(5)]
    r = cell(compare(_sentences(codebook, one_way), codebook, topic="export_controls"), "a")["stance"][AXIS]
    assert r["n"] == 50 and r["index"] == 0.0
    ten = stance_index([5], [5])
    assert r["high"] - r["low"] > 0.95 * float(ten["high"][0] - ten["low"][0])  # was 0.54 wide, the Wilson width of 50 sentences
    # Articles that each mix both lenses as the source does: nothing to widen.
    mixed = [("a", f"d{d}", ["cooperation" if s % 2 else "security_risk"]) for d in range(10) for s in range(6)]
    r = cell(compare(_sentences(codebook, mixed), codebook, topic="export_controls"), "a")["stance"][AXIS]
    sixty = stance_index([30], [30])
    assert (r["low"], r["high"]) == pytest.approx((float(sixty["low"][0]), float(sixty["high"][0])), abs=1e-4)


def test_intervals_widen_as_n_shrinks(table, codebook):
    # the same 3:1 balance on fewer sentences is less certain
    widths = [float(np.ravel(r["high"] - r["low"])[0]) for r in (stance_index([12], [4]), stance_index([6], [2]), stance_index([3], [1]))]
    assert widths[0] < widths[1] < widths[2]
    # and on the seeds: Coppens on trade, all sentences vs every other one
    data = table.data
    full = cell(compare(table, codebook, topic="trade_tariffs"), "coppens", "trade_tariffs")["stance"][AXIS]
    rows = np.flatnonzero(((data["source"] == "coppens") & data["topic:trade_tariffs"]).to_numpy())
    drop = np.zeros(len(data), bool)
    drop[rows[::2]] = True
    half = cell(compare(table.select(~drop), codebook, topic="trade_tariffs"), "coppens", "trade_tariffs")["stance"][AXIS]
    assert half["n"] < full["n"]
    assert half["high"] - half["low"] > full["high"] - full["low"]


def test_contingency_test_agrees_with_scipy():
    big = np.array([[40, 25, 35], [20, 40, 30]])
    r = contingency_test(big)
    chi2, p, dof, _ = stats.chi2_contingency(big, correction=False)
    assert r["method"] == "chi-square"
    assert r["statistic"] == pytest.approx(chi2) and r["p_value"] == pytest.approx(p) and r["dof"] == dof
    assert r["cramers_v"] == pytest.approx(stats.contingency.association(big, method="cramer"))
    small = np.array([[3, 0], [0, 3]])
    assert contingency_test(small)["method"] == "Fisher's exact test"
    assert contingency_test(small)["p_value"] == pytest.approx(stats.fisher_exact(small).pvalue)
    sparse = np.array([[4, 0, 1], [0, 3, 1], [1, 0, 2]])
    r = contingency_test(sparse)
    assert r["method"].startswith("Monte Carlo") and 0 < r["p_value"] < 0.2
    same = np.array([[5, 5, 5], [5, 5, 5]])
    assert contingency_test(same)["p_value"] == pytest.approx(1.0)


def test_distinctive_terms_find_a_planted_word():
    texts = ["Decoupling hurts everyone and decoupling must stop."] * 6 + ["Controls protect security interests."] * 6
    texts += ["Trade talks continue this week."] * 6
    groups = ["a"] * 6 + ["b"] * 6 + ["a"] * 3 + ["b"] * 3
    terms = distinctive_terms(texts, groups)
    a = terms[terms["group"] == "a"].iloc[0]
    assert a["term"] == "decoupling" and a["count"] == 12 and a["z"] > 1.96
    assert terms[terms["group"] == "b"].iloc[0]["term"] in ("controls", "security", "protect", "controls protect")


# --- voice, grouping -----------------------------------------------------------------


def test_voice_filter_splits_author_and_quoted(table, codebook):
    data = table.data.copy()
    quoted = (data["index"] % 3 == 0).to_numpy()
    data.loc[quoted, "speaker"] = "quoted"
    voiced = SentenceTable(data, table.topics, table.frames)
    n = {v: {r["group"]: r["n"] for r in compare(voiced, codebook, topic="trade_tariffs", voice=v).rows()}
         for v in ("all", "author", "quoted")}
    for group in n["all"]:
        assert n["author"][group] + n["quoted"][group] == n["all"][group]
    assert sum(n["quoted"].values()) > 0
    with pytest.raises(StanceError, match="voice"):
        compare(voiced, codebook, voice="nobody")


def test_group_by_metadata_fields(table, codebook):
    by_country = compare(table, codebook, topic="export_controls", by="country")
    assert {r["group"] for r in by_country.rows()} == {"Belgium", "Germany", "China"}
    by_kind = compare(table, codebook, topic="export_controls", by="kind")
    assert "think tank" in by_kind.groups
    by_year = compare(table, codebook, topic="export_controls", by="year")
    assert set(by_year.groups) == {"2024", "2025"}
    assert sum(r["n"] for r in by_year.rows()) == sum(r["n"] for r in by_country.rows())
    with pytest.raises(StanceError, match="cannot group by"):
        compare(table, codebook, by="colour")


# --- label quality and adjusted shares ----------------------------------------------


def _over_predicting(table, every: int):
    """A "model" that agrees with the annotators, except that it also sees cooperation
    in every ``every``-th content sentence of the outlet."""
    data = table.data.copy()
    data["labelled_by"] = "model"
    outlet = np.flatnonzero(((data["source"] == "outlet") & ~data["boilerplate"]).to_numpy())
    data.loc[outlet[::every], "frame:cooperation"] = True
    return SentenceTable(data, table.topics, table.frames)


def test_adjusted_share_undoes_a_model_that_over_predicts_for_one_source(table, codebook, tagged):
    records, _ = tagged
    gold = gold_labels(records)
    assert len(gold) == 274
    truth = cell(compare(table, codebook, topic="trade_tariffs"), "outlet", "trade_tariffs")["frames"]["cooperation"]["share"]
    predicted = _over_predicting(table, 2)
    quality = label_quality(predicted, gold, by="source")
    row = quality[(quality["label"] == "cooperation") & (quality["group"] == "outlet")].iloc[0]
    assert row["recall"] == 1.0 and row["precision"] < 0.5 and 0.4 < row["fpr"] < 0.6
    pooled = quality[(quality["label"] == "ai") & (quality["group"] == "all")].iloc[0]
    assert pooled["precision"] == 1.0 and pooled["recall"] == 1.0
    outlet = cell(compare(predicted, codebook, topic="trade_tariffs", gold=gold), "outlet", "trade_tariffs")
    raw, adjusted = outlet["frames"]["cooperation"]["share"], outlet["adjusted"]["cooperation"]
    assert raw > truth + 0.2  # the over-prediction shows as a difference between sources ...
    assert abs(adjusted - truth) < abs(raw - truth) / 2  # ... which the adjusted share mostly takes back
    # A model that says "cooperation" for every outlet sentence tells nothing: no adjusted share, not a fake one.
    everything = cell(compare(_over_predicting(table, 1), codebook, topic="trade_tariffs", gold=gold), "outlet", "trade_tariffs")
    assert everything["frames"]["cooperation"]["share"] == 1.0 and everything["adjusted"]["cooperation"] is None
    # human labels are not predictions: they are left out of the quality figures
    assert label_quality(table, gold).empty


def test_adjusted_share_formula():
    assert adjusted_share(0.5, 0.8, 0.2) == pytest.approx(0.5)
    assert adjusted_share(0.14, 0.8, 0.2) == 0.0  # clipped
    assert adjusted_share(0.3, 0.5, 0.45) is None  # the model cannot tell the label apart: no correction


# --- exports read back, and the CLI ----------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tagged, codebook):
    records, sources = tagged
    folder = tmp_path_factory.mktemp("exports")
    prov = provenance(codebook=codebook, model_version="seed-labels", sources=sources)
    for ext in ("parquet", "jsonl", "csv"):
        export_tagged(list(records), folder / f"seeds.{ext}", sources=sources, codebook=codebook, prov=prov)
    return folder


@pytest.mark.parametrize("ext", ["parquet", "jsonl", "csv"])
def test_an_export_reads_back_to_the_same_comparison(exported, export_controls, table, codebook, ext):
    again_table = read_export(exported / f"seeds.{ext}", codebook)
    again = compare(again_table, codebook, topic="export_controls", terms=True)
    assert again.rows() == export_controls.rows()
    assert again.readings() == export_controls.readings()
    pd.testing.assert_frame_equal(again.terms, export_controls.terms)
    # Parquet keeps metadata as dictionaries (categoricals): groups must still come out in the same order.
    by_kind = compare(again_table, codebook, topic="export_controls", by="kind").rows()
    assert by_kind == compare(table, codebook, topic="export_controls", by="kind").rows()
    assert [r["group"] for r in by_kind] == ["author newsletter", "state-aligned outlet", "think tank"]


def test_a_damaged_export_is_named_by_its_line_and_the_others_are_compared(exported, export_controls, codebook, tmp_path):
    from stance.compare import load_inputs

    cut = {}
    for ext in ("csv", "jsonl"):
        lines = (exported / f"seeds.{ext}").read_text(encoding="utf-8").splitlines(keepends=True)
        cut[ext] = tmp_path / f"cut.{ext}"
        cut[ext].write_text("".join(lines[:20]) + lines[20][:40], encoding="utf-8")  # a copy cut short in line 21
    cut["parquet"] = tmp_path / "cut.parquet"
    cut["parquet"].write_bytes((exported / "seeds.parquet").read_bytes()[:5000])
    inputs = load_inputs([*cut.values(), exported / "seeds.parquet"], codebook_path=None)
    assert sorted((Path(p.path).name, p.line) for p in inputs.problems) == [("cut.csv", 21), ("cut.jsonl", 21), ("cut.parquet", None)]
    assert all("cannot read the export" in str(p) and "export it again" in str(p) for p in inputs.problems)
    assert compare(inputs.table, codebook, topic="export_controls").rows() == export_controls.rows()
    with pytest.raises(StanceError, match="no export table could be read"):
        load_inputs(list(cut.values()))


def test_an_export_saved_again_by_excel_or_missing_a_column_is_not_tagged_anew(exported, export_controls, codebook, tmp_path):
    """An export saved with ";" (Excel where "," is the decimal mark) was not known for one and was tagged
    again row by row, without context or hand-edited labels; one with a column deleted, the same, unseen."""
    import csv

    from stance.compare import is_export

    rows = list(csv.reader(open(exported / "seeds.csv", encoding="utf-8", newline="")))
    semi = tmp_path / "semi.csv"
    with open(semi, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    assert is_export(semi)
    assert compare(read_export(semi, codebook), codebook, topic="export_controls").rows() == export_controls.rows()
    cut = rows[0].index("frames")
    bare = tmp_path / "bare.csv"
    with open(bare, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(r[:cut] + r[cut + 1:] for r in rows)
    with pytest.raises(StanceError, match="without its frames column"):
        is_export(bare)


def test_an_export_compared_under_a_codebook_without_its_labels_is_refused(exported, tmp_path, capsys):
    # Compared under another codebook, its axes and names were laid over labels they did not know, without a word.
    from stance.cli import main

    other = tmp_path / "other.toml"
    other.write_text('name = "guns"\nversion = "1"\n[[topics]]\nid = "guns"\nname = "Guns"\ndescription = "g"\n'
                     '[[frames]]\nid = "cooperation"\nname = "C"\ndescription = "c"\n', encoding="utf-8")
    assert main(["compare", str(exported / "seeds.jsonl"), "--codebook", str(other)]) == 1
    err = capsys.readouterr().err
    assert "labels that codebook 'guns' lacks: ai," in err and "give the --codebook the export was tagged with" in err


def test_a_tone_not_given_is_left_out_of_the_means_not_taken_for_neutral(exported, codebook, tmp_path):
    """An export's empty tone cells were read as 0.0, pulling each mean toward neutral; a table without
    tone columns showed every source as neutral."""
    import csv

    rows = list(csv.DictReader(open(exported / "seeds.csv", encoding="utf-8", newline="")))
    full = compare(read_export(exported / "seeds.csv", codebook), codebook, topic="export_controls").cells
    blank = [dict(r, compound="") if i % 2 else r for i, r in enumerate(rows)]
    for name, table in (("half.csv", blank), ("none.csv", [{k: v for k, v in r.items() if k not in ("polarity", "subjectivity", "compound")} for r in rows])):
        with open(tmp_path / name, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(table[0]))
            writer.writeheader()
            writer.writerows(table)
    half = compare(read_export(tmp_path / "half.csv", codebook), codebook, topic="export_controls")
    kept = [float(r["compound"]) for i, r in enumerate(rows) if not i % 2 and r["source"] == "merics" and "export_controls" in r["topics"] and r["boilerplate"] != "True"]
    merics = half.cells.set_index("group").loc["merics"]
    assert merics["tone.compound"] == pytest.approx(np.mean(kept)) and merics["tone.compound"] != full.set_index("group").loc["merics"]["tone.compound"]
    none = compare(read_export(tmp_path / "none.csv", codebook), codebook, topic="export_controls")
    assert none.cells["tone.compound"].isna().all() and {r["tone"] for r in none.summary_rows()} == {"—"}
    assert {r["tone"]["compound"] for r in none.rows()} == {None}  # JSON: null, not 0


def test_cli_compare_json_follows_the_row_schema(exported, capsys):
    from stance.cli import main

    assert main(["compare", str(exported / "seeds.parquet"), "--topic", "export_controls", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["group"] for r in rows] == ["coppens", "merics", "outlet"]
    codebook = load_codebook()
    for row in rows:
        assert {"group", "topic", "n", "frames", "stance", "tone", "sentence_ids"} <= set(row)
        assert row["topic"] == "export_controls" and isinstance(row["n"], int)
        assert set(row["frames"]) == set(codebook.frame_ids)
        for value in row["frames"].values():
            assert set(value) == {"count", "share"} and isinstance(value["count"], int) and isinstance(value["share"], float)
        assert set(row["stance"]) == {a.id for a in codebook.axes}
        for value in row["stance"].values():
            assert set(value) == {"index", "low", "high", "n"}
            assert value["index"] is None or -1 <= value["low"] <= value["index"] <= value["high"] <= 1
            assert isinstance(value["n"], int)
        assert set(row["tone"]) == {"polarity", "subjectivity", "compound"}
        assert all(isinstance(v, float) for v in row["tone"].values())
        assert len(row["sentence_ids"]) == row["n"]


def test_cli_compare_table_prints_the_readings(exported, capsys):
    from stance.cli import main

    assert main(["compare", str(exported / "seeds.jsonl"), "--topic", "export_controls", "--by", "country"]) == 0
    out = capsys.readouterr().out
    assert "Germany" in out and "n is small" in out
    assert main(["compare", str(exported / "seeds.jsonl"), "--topic", "nonsense"]) == 1
    assert "unknown topic" in capsys.readouterr().err


def test_cli_compare_says_a_gold_file_it_cannot_read_and_flags_an_export_does_not_use(exported, tmp_path, capsys):
    # A mistyped --gold file used to leave the quality figures out without a word; --model and --db
    # beside an export were dropped, the labels read as exported.
    from stance.cli import main

    export = str(exported / "seeds.jsonl")
    assert main(["compare", export, "--topic", "export_controls", "--gold", str(tmp_path / "gold.csv")]) == 0
    assert f"stance: skipped {tmp_path / 'gold.csv'}: cannot read the annotation file" in capsys.readouterr().err
    (tmp_path / "a.txt").write_text("Tariffs rose.\n")
    assert main(["ingest", str(tmp_path / "a.txt"), "--db", str(tmp_path / "s.db")]) == 0
    assert main(["train", "--annotations", str(SEEDS_DIR / "annotations-merics.csv"), "-o", str(tmp_path / "m")]) == 0
    capsys.readouterr()
    for flag, given in (("--model", tmp_path / "m"), ("--db", tmp_path / "s.db")):
        assert main(["compare", export, flag, str(given)]) == 1
        assert f"{flag} would not be used: `stance export` tables are read as they were tagged — leave out {flag}" in capsys.readouterr().err


def test_cli_compare_tags_the_seeds_with_the_model(capsys):
    from stance.cli import main

    assert main(["compare", "--topic", "export_controls", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["group"] for r in rows} == {"coppens", "merics", "outlet"}
    assert all(r["n"] > 0 for r in rows)
    assert "adjusted" in rows[0]  # the seed annotations are the gold labels on the seeds


# --- what the dashboard calls on every topic switch ---------------------------------------


def test_terms_from_a_term_index_are_the_terms_from_the_text(table, codebook):
    from stance.compare import term_index

    index = term_index(table)
    for topic in codebook.topic_ids:
        direct = compare(table, codebook, topic=topic, terms=True).terms.reset_index(drop=True)
        indexed = compare(table, codebook, topic=topic, terms=True, term_index=index).terms.reset_index(drop=True)
        pd.testing.assert_frame_equal(direct, indexed)
    mask = (table.data["source"] != "coppens").to_numpy()
    sub = compare(table.select(mask), codebook, topic="export_controls", terms=True, term_index=index.select(mask)).terms
    assert set(sub["group"]) <= {"merics", "outlet"}


def test_side_by_side_pages_and_filters_on_the_table(table):
    everything = side_by_side(table, "export_controls")
    paged = side_by_side(table, "export_controls", limit=2)
    assert {g: df.attrs["total"] for g, df in paged.items()} == {g: len(df) for g, df in everything.items()}
    for g, df in paged.items():
        assert list(df["sentence_id"]) == list(everything[g]["sentence_id"][:2])
    risky = side_by_side(table, "export_controls", frames=["security_risk"])
    assert sum(len(df) for df in risky.values()) > 0
    assert all("security_risk" in f for df in risky.values() for f in df["frames"])
    merics = everything["merics"].iloc[0]
    assert set(merics["scores"]) == set(merics["topics"]) | set(merics["frames"])  # each label's probability, and why
    assert set(merics["reasons"]) <= set(merics["scores"])


def test_neighbours_and_search_find_real_seed_sentences(table):
    from stance.compare import find_sentences, neighbours

    found = find_sentences(table, text='"export controls" chips')
    assert len(found) and all("export controls" in t.lower() and "chips" in t.lower() for t in found["text"])
    assert list(find_sentences(table, text="export", sources=["outlet"])["source"].unique()) in ([], ["outlet"])
    sid = found["sentence_id"].iloc[0]
    before, after = neighbours(table, [sid], before=2, after=1)[sid]
    rows = table.data.set_index("sentence_id")
    doc = rows.loc[sid, "doc_id"]
    near = table.data[(table.data["doc_id"] == doc) & ~table.data["boilerplate"]].sort_values("index")["text"].tolist()
    at = near.index(rows.loc[sid, "text"])
    assert before == near[max(0, at - 2):at] and after == near[at + 1:at + 2]


def test_grouping_by_month_or_year_reads_only_what_is_a_month_or_a_year():
    # Cutting the text at 7 characters grouped "2024-99-99" under a month "2024-99" and a range of
    # years "2022-2025" under "2022-20".
    from stance.compare import group_keys

    dates = ["2024-05-14", "2024-05", "2024", "2022-2025", "2024-99-99", "", "not a date", "2024-05-14T10:00"]
    for data in (pd.DataFrame({"date": dates}), pd.DataFrame({"date": pd.Categorical(dates)})):
        assert group_keys(data, "month").astype(str).tolist() == ["2024-05", "2024-05"] + ["(unknown)"] * 5 + ["2024-05"]
        assert group_keys(data, "year").astype(str).tolist() == ["2024", "2024", "2024", "2022", "2024", "(unknown)", "(unknown)", "2024"]

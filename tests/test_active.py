"""The active-learning queue: unsure first, diverse, sources taking turns, never boilerplate or labelled."""

from __future__ import annotations

import numpy as np
import pytest

from stance.active import (
    build_queue,
    label_uncertainty,
    queue_from_probs,
    queue_from_tagged,
    score_store,
    select,
    sentence_uncertainty,
)
from stance.annotations import Annotation
from stance.errors import StanceError
from stance.segment import Sentence
from stance.store import open_store
from stance.tagged import TaggedSentence

LABELS = ("ai", "trade_tariffs", "security_risk", "cooperation")
FRAMES = ("security_risk", "cooperation")


def _sentence(i: int, text: str, source: str = "a", boilerplate: bool = False) -> Sentence:
    return Sentence(f"s{i:03d}", "d", source, "p", i, 0, 0, len(text), text, False, boilerplate, "subscribe" if boilerplate else None)


def test_uncertainty_is_one_at_the_threshold_and_zero_at_the_ends():
    u = label_uncertainty(np.array([[0.5, 0.0, 1.0, 0.65]]), np.array([0.5, 0.5, 0.5, 0.3]))
    assert u[0].tolist() == pytest.approx([1.0, 0.0, 0.0, 0.5])  # 0.65 vs 0.3: 1 - 0.35/0.7
    # a sentence's uncertainty: its three least certain labels
    assert sentence_uncertainty(np.array([[0.5, 0.0, 1.0, 0.65]]), np.array([0.5, 0.5, 0.5, 0.3]))[0] == pytest.approx(0.5)
    assert sentence_uncertainty(np.array([[0.01, 0.99, 0.02, 0.97]]))[0] < 0.1


def test_sources_take_turns_so_one_source_does_not_eat_the_queue():
    texts = [f"Chip export controls tighten in round {w}." for w in "one two three four five six seven eight".split()]
    texts += ["Tariffs on steel were raised.", "Farm exports fell sharply."]
    sources = ["big"] * 8 + ["small"] * 2
    u = [0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.5, 0.4]
    picked = select(texts, sources, u, 4)
    assert [sources[i] for i in picked] == ["big", "small", "big", "small"]
    assert picked[0] == 0 and set(picked) >= {8, 9}


def test_diversity_skips_near_duplicates_and_offers_identical_texts_once():
    texts = [
        "Export controls on advanced chips were tightened again.",
        "Export controls on advanced chips were tightened again.",  # identical
        "Export controls on advanced chips were tightened once more.",  # near duplicate
        "Solar panel prices collapsed in Europe.",
    ]
    picked = select(texts, ["a"] * 4, [0.9, 0.9, 0.85, 0.6], 2)
    assert picked == [0, 3]
    assert sorted(select(texts, ["a"] * 4, [0.9, 0.9, 0.85, 0.6], 10)) == [0, 2, 3]


def test_queue_from_tagger_output_skips_boilerplate_and_labelled_sentences():
    sentences = [_sentence(i, t) for i, t in enumerate(["AI chips race.", "Tariffs rose.", "Talks resumed.", "Rates fell."])]
    sentences.append(_sentence(4, "Subscribe now!", boilerplate=True))
    probs = np.array([
        [0.5, 0.5, 0.5, 0.5],  # the most uncertain, but already labelled
        [0.45, 0.55, 0.5, 0.1],
        [0.9, 0.05, 0.95, 0.02],
        [0.3, 0.6, 0.4, 0.5],
        [0.5, 0.5, 0.5, 0.5],  # boilerplate
    ])
    tagged = [TaggedSentence.from_sentence(s, scores=dict(zip(LABELS, row))) for s, row in zip(sentences, probs)]
    items = queue_from_tagged(tagged, LABELS, 3, exclude={"s000"})
    assert [i.sentence_id for i in items] == ["s001", "s003", "s002"]
    assert items[0].unsure[0] == ("security_risk", 0.5) and items[0].to_row()["unsure_about"].startswith("security_risk 0.50")
    # --topic: unsure whether it applies, or in it and unsure of its frames
    focused = queue_from_probs(sentences, probs, LABELS, 2, topic="ai", frame_ids=FRAMES, exclude={"s000"})
    assert [i.sentence_id for i in focused] == ["s001", "s003"]
    with pytest.raises(StanceError, match="unknown label 'a1'"):
        queue_from_probs(sentences, probs, LABELS, 2, topic="a1")


@pytest.fixture
def scored(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for source, words in (("one", "alpha beta gamma delta epsilon zeta eta theta"), ("two", "iota kappa lambda mu")):
        (folder / f"{source}.txt").write_text(
            "\n\n".join(f"The {w} report covers chips, tariffs and talks in {w} detail." for w in words.split())
            + "\n\nSubscribe to our newsletter\n",
            encoding="utf-8",
        )
    store = open_store(tmp_path / "q.db")
    store.ingest_paths([folder])
    rng = np.random.default_rng(3)

    def predict(sentences):
        return rng.uniform(0, 1, size=(len(sentences), len(LABELS)))

    assert score_store(store, predict, "m1", LABELS, thresholds={"ai": 0.4}, batch=5) == 12  # boilerplate is not scored
    assert score_store(store, predict, "m1", LABELS) == 0  # nothing left to score for this model
    yield store
    store.close()


def test_queue_from_the_store_balances_sources_and_skips_labelled_and_boilerplate(scored):
    first = build_queue(scored, 4)
    assert [i.source for i in first] in (["one", "two", "one", "two"], ["two", "one", "two", "one"])
    assert all("Subscribe" not in i.text for i in build_queue(scored, 20))
    assert len(build_queue(scored, 20)) == 12
    top = first[0].sentence_id
    scored.annotate(Annotation(first[0].text, ("ai",), (), None, top), annotator="alice")
    again = build_queue(scored, 20)
    assert top not in {i.sentence_id for i in again} and len(again) == 11
    assert {i.source for i in build_queue(scored, 5, source="two")} == {"two"}
    focused = build_queue(scored, 3, topic="ai", frame_ids=FRAMES)
    assert len(focused) == 3 and top not in {i.sentence_id for i in focused}


def test_queue_without_scores_says_what_to_do(tmp_path):
    with pytest.raises(StanceError, match="no model scores"):
        build_queue(open_store(tmp_path / "empty.db"), 5)


def test_queue_command_scores_the_store_once_and_skips_what_is_labelled(tmp_path, capsys):
    import json

    from stance.annotations import seed_annotation_files
    from stance.cli import main

    from stance.tagger import default_model

    model = str(default_model().save(tmp_path / "model"))  # one model for both runs
    db = str(tmp_path / "seeds.db")
    assert main(["ingest", "seeds", "--db", db]) == 0
    merics = [str(p) for p in seed_annotation_files() if "merics" in p.name]
    assert main(["annotations", "import", *merics, "--db", db]) == 0
    capsys.readouterr()
    assert main(["queue", "-n", "6", "--format", "jsonl", "--db", db, "--model", model]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert "scored" in captured.err
    assert len(rows) == 6 and {r["source"] for r in rows} == {"coppens", "outlet"}  # merics is all labelled
    assert [r["source"] for r in rows[:2]] in (["coppens", "outlet"], ["outlet", "coppens"])
    assert main(["queue", "-n", "3", "--topic", "export_controls", "--format", "jsonl", "--db", db, "--model", model]) == 0
    captured = capsys.readouterr()
    assert "scored" not in captured.err  # the scores are stored once per model
    assert len(captured.out.splitlines()) == 3
    assert main(["queue", "--topic", "export_control", "--db", db, "--model", model]) == 1
    assert "unknown topic 'export_control'" in capsys.readouterr().err


def test_annotate_command_stores_each_answer(tmp_path, capsys, monkeypatch):
    from stance.cli import main

    db = str(tmp_path / "seeds.db")
    assert main(["ingest", "seeds", "--db", db]) == 0
    answers = iter([
        "trade_tariffs", "competition;economic_cost", "economic_cost", "tariffs are the point",  # first sentence
        "chipz", "-", "-", "",  # an unknown id is asked again; then no labels
        "s",  # skip the third
        "-", "-", "q",  # quit at the note: the fourth is not stored
    ])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert main(["annotate", "-n", "4", "--annotator", "alice", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "chipz is not one of" in out and "recorded 2 decision(s) as alice" in out
    labels = list(open_store(db).current_labels().values())
    assert len(labels) == 2 and all(a.annotator == "alice" for a in labels)
    first = next(a for a in labels if a.topics)
    assert (first.topics, first.frames, first.primary_frame, first.note) == (
        ("trade_tariffs",), ("competition", "economic_cost"), "economic_cost", "tariffs are the point")


def test_annotate_with_a_blank_name_says_so_before_asking_anything(tmp_path, capsys, monkeypatch):
    # `--annotator "$ME"` with a blank value used to let the analyst answer a whole sentence, then fail storing it.
    from stance.cli import main

    db = str(tmp_path / "seeds.db")
    assert main(["ingest", "seeds", "--db", db]) == 0
    monkeypatch.setattr("builtins.input", lambda prompt="": pytest.fail(f"asked {prompt!r}"))
    assert main(["annotate", "-n", "1", "--annotator", " ", "--db", db]) == 1
    assert "the annotator's name is blank — give --annotator NAME" in capsys.readouterr().err


def test_a_new_model_rescores_and_old_scores_are_dropped(scored):
    assert score_store(scored, lambda sentences: np.full((len(sentences), len(LABELS)), 0.5), "m2", LABELS) == 12
    assert scored.score_run("m1") is None and scored.score_run()[0] == "m2"
    assert len(build_queue(scored, 3)) == 3


def test_scoring_a_sentence_again_keeps_its_latest_scores(scored):
    table = scored.score_table("m1")
    assert table.stale is None  # score_store scored each document once (in batches of 5)
    first = str(table.ids[0])
    scored.save_scores("m1", LABELS, [first], np.array([[0.5, 0.5, 0.5, 0.5]]))
    table = scored.score_table("m1")
    rows = [i for i, sid in enumerate(table.ids) if sid == first]
    assert len(rows) == 2 and not table.offerable(rows[0]) and table.offerable(rows[1])
    assert table.probs[rows[1]].tolist() == [0.5] * 4 and table.uncertainty[rows[1]] == pytest.approx(1.0)
    assert sum(item.sentence_id == first for item in build_queue(scored, 20)) == 1


def test_queue_command_on_an_empty_store_says_to_ingest(tmp_path, capsys):
    from stance.cli import main

    assert main(["queue", "--db", str(tmp_path / "empty.db")]) == 1
    assert "stance ingest" in capsys.readouterr().err


def test_queue_command_for_a_source_the_store_lacks_names_the_sources(tmp_path, capsys):
    from stance.cli import main

    (tmp_path / "a.txt").write_text("The tariffs hurt consumers.\n")
    db = str(tmp_path / "x.db")
    assert main(["ingest", str(tmp_path / "a.txt"), "--db", db]) == 0
    capsys.readouterr()
    assert main(["queue", "--db", db, "--source", "nosuch"]) == 1
    err = capsys.readouterr().err
    assert "no source 'nosuch' in the store" in err and "use one of: a" in err

"""Agreement figures against a hand-computed example, from the library and from `stance agreement`."""

from __future__ import annotations

import json

import pytest

from stance.agreement import agreement, cohen_kappa, store_agreement
from stance.annotations import Annotation
from stance.cli import main
from stance.codebook import load_codebook
from stance.store import Decision, open_store

CODEBOOK = load_codebook()

# Topic "ai", two annotators, ten sentences:
#   alice: 1 1 1 1 0 0 0 0 0 0
#   bob:   1 1 1 0 0 0 0 0 0 1
# kappa: p_o = 8/10; p_e = .4*.4 + .6*.6 = .52; (0.8 - 0.52) / 0.48 = 7/12
# alpha (nominal): n = 20 values, 8 ones and 12 zeros; the 2 disagreeing
#   sentences give o_01 + o_10 = 4; D_o = 4/20; D_e = 2*8*12/(20*19) = 192/380;
#   alpha = 1 - (4/20) / (192/380) = 29/48
AI_ALICE = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
AI_BOB = [1, 1, 1, 0, 0, 0, 0, 0, 0, 1]

# Frame "security_risk", three annotators, four sentences (carol skipped s2):
#        s0 s1 s2 s3
#   alice 1  0  1  0
#   bob   1  0  1  0
#   carol 1  1  -  0
# kappa alice|bob = 1; alice|carol on s0,s1,s3: p_o = 2/3, p_e = 1/3*2/3 + 2/3*1/3 = 4/9,
#   (2/3 - 4/9) / (5/9) = 2/5; bob|carol the same.
# alpha: coincidences o_11 = 3 (s0) + 2 (s2), o_00 = 1 (s1) + 3 (s3), o_01 = o_10 = 1 (s1);
#   n = 11, n_0 = 5, n_1 = 6; D_o = 2/11, D_e = 2*5*6/(11*10) = 6/11; alpha = 1 - 1/3 = 2/3
RISK = {"alice": [1, 0, 1, 0], "bob": [1, 0, 1, 0], "carol": [1, 1, None, 0]}


def _decisions() -> list[Decision]:
    out = []
    event = iter(range(1, 1000))
    for name, answers in (("alice", AI_ALICE), ("bob", AI_BOB)):
        for i, yes in enumerate(answers):
            out.append(Decision(f"t{i}", "merics" if i < 5 else "outlet", "topics", name, ("ai",) if yes else (), False, "", "", "t", next(event)))
    for name, answers in RISK.items():
        for i, yes in enumerate(answers):
            if yes is not None:
                out.append(Decision(f"f{i}", "coppens", "frames", name, ("security_risk",) if yes else (), False, "", "", "t", next(event)))
    # an adjudication is a ruling, not a third opinion
    out.append(Decision("t3", "merics", "topics", "dana", ("ai",), True, "", "", "t", next(event)))
    return out


def test_kappa_and_alpha_match_the_hand_computed_example():
    report = agreement(_decisions())
    ai, risk = report.labels["ai"], report.labels["security_risk"]
    assert ai.kappa == {"alice|bob": pytest.approx(7 / 12)}
    assert ai.alpha == pytest.approx(29 / 48) and ai.n == 10
    assert risk.kappa == {"alice|bob": pytest.approx(1.0), "alice|carol": pytest.approx(0.4), "bob|carol": pytest.approx(0.4)}
    assert risk.alpha == pytest.approx(2 / 3) and risk.n == 4
    assert report.annotators == ["alice", "bob", "carol"]


def test_per_source_figures():
    report = agreement(_decisions())
    # merics holds s0-s4: alice 1 1 1 1 0, bob 1 1 1 0 0: p_o = 4/5, p_e = .8*.6 + .2*.4 = .56 -> 0.24/0.44
    assert report.by_source["merics"]["ai"].kappa["alice|bob"] == pytest.approx(0.24 / 0.44)
    assert report.by_source["merics"]["ai"].n == 5
    # outlet: alice never says ai, bob once: p_o = 4/5, p_e = 1*.8 = .8 -> 0
    assert report.by_source["outlet"]["ai"].kappa["alice|bob"] == pytest.approx(0.0)
    assert set(report.by_source["coppens"]) == {"security_risk"}


def test_undefined_kappa_is_none_not_a_crash():
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) is None
    assert cohen_kappa([0, 1], [1, 0]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="same length"):
        cohen_kappa([1], [1, 0])


def _store_with_two_annotators(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(" ".join(f"Sentence number {w} is about something." for w in
                                           "one two three four five six seven eight nine ten".split()) + "\n", encoding="utf-8")
    store = open_store(tmp_path / "labels.db")
    store.ingest_paths([folder])
    sentences = store.sentences()
    assert len(sentences) == 10
    for name, answers in (("alice", AI_ALICE), ("bob", AI_BOB)):
        for s, yes in zip(sentences, answers):
            store.annotate(Annotation(s.text, ("ai",) if yes else (), (), None, s.sentence_id), annotator=name, codebook=CODEBOOK)
    return store, sentences


def test_store_agreement_and_disagreements(tmp_path):
    store, sentences = _store_with_two_annotators(tmp_path)
    report = store_agreement(store, codebook=CODEBOOK)
    assert report.labels["ai"].kappa["alice|bob"] == pytest.approx(7 / 12)
    assert [(c.sentence_id, c.kind) for c in report.disagreements] == [(sentences[3].sentence_id, "topics"), (sentences[9].sentence_id, "topics")]


def test_agreement_command_json_is_exactly_the_documented_shape(tmp_path, capsys):
    store, sentences = _store_with_two_annotators(tmp_path)
    store.close()
    assert main(["agreement", "--format", "json", "--db", str(tmp_path / "labels.db")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"labels", "disagreements"}
    assert out["labels"] == {"ai": {"kappa": {"alice|bob": pytest.approx(7 / 12)}, "alpha": pytest.approx(29 / 48), "n": 10}}
    assert out["disagreements"][0]["annotations"] == {"alice": ["ai"], "bob": []}
    assert out["disagreements"][0]["text"] == sentences[3].text


def test_agreement_command_needs_two_annotators(tmp_path, capsys):
    store = open_store(tmp_path / "one.db")
    store.close()
    assert main(["agreement", "--db", str(tmp_path / "one.db")]) == 1
    err = capsys.readouterr().err
    assert "two annotators" in err and "Traceback" not in err

"""What stance works out once and keeps on disk: the memo of cue regexes (stance.cache)."""

from __future__ import annotations

import json

import pytest

from stance import codebook as codebook_module
from stance import rules as rules_module
from stance.cache import Memo, write_whole
from stance.codebook import CodebookError, load_codebook
from stance.corpus import SEEDS_DIR, read_corpus
from stance.rules import RuleSet
from stance.segment import iter_sentences


def _forget_in_process() -> None:
    """As a new run starts: nothing known but what is on disk."""
    for cached in (codebook_module._build, codebook_module._checked_regexes, codebook_module._regex_problem, codebook_module.compiled_regex,
                   codebook_module.parsed_regex, rules_module._analysed):
        cached.cache_clear()


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    _forget_in_process()
    yield tmp_path / "cache"
    monkeypatch.undo()
    _forget_in_process()  # later tests use the cache they had


def _write(tmp_path, cues: str) -> str:
    path = tmp_path / "book.toml"
    path.write_text(f'[[topics]]\nid = "chips"\ncues = [{cues}]\n', encoding="utf-8")
    return str(path)


def test_a_second_run_reads_the_codebook_without_checking_its_regexes_again(fresh_cache, tmp_path, monkeypatch):
    path = _write(tmp_path, "'re:\\bchips?\\b', 'export control'")
    first = load_codebook(path)
    assert list((fresh_cache / "memo").glob("regex-checks-*.json")), "what was found fine is kept on disk"

    _forget_in_process()

    def checked(regex):
        raise AssertionError(f"checked again: {regex}")

    monkeypatch.setattr(codebook_module, "_regex_problem", checked)
    assert load_codebook(path) == first


def test_a_bad_regex_is_refused_on_every_run_never_remembered(fresh_cache, tmp_path):
    path = _write(tmp_path, "'re:\\bchips?\\b', 're:(a+)+b'")
    for _ in range(2):
        with pytest.raises(CodebookError) as err:
            load_codebook(path)
        assert "(a+)+" in str(err.value) and err.value.line == 3
        _forget_in_process()
    assert not any("(a+)+" in memo.read_text(encoding="utf-8") for memo in (fresh_cache / "memo").glob("regex-checks-*.json"))
    load_codebook(_write(tmp_path, "'re:\\bchips?\\b'"))  # the fix: the good cue is remembered once it loads
    memo = next((fresh_cache / "memo").glob("regex-checks-*.json"))
    kept = json.loads(memo.read_text(encoding="utf-8"))
    assert r"\bchips?\b" in "".join(kept) and not any("(a+)+" in regex for regex in kept)


def test_a_changed_cue_is_checked_afresh(fresh_cache, tmp_path):
    load_codebook(_write(tmp_path, "'re:\\bchips?\\b'"))
    _forget_in_process()
    with pytest.raises(CodebookError, match="empty string"):
        load_codebook(_write(tmp_path, "'re:\\bchips?\\b|x*'"))


def test_a_damaged_memo_is_ignored_and_written_anew(fresh_cache, tmp_path):
    path = _write(tmp_path, "'re:\\bwafers?\\b'")
    load_codebook(path)
    memo = next((fresh_cache / "memo").glob("regex-checks-*.json"))
    memo.write_text('{"half a fi', encoding="utf-8")
    _forget_in_process()
    assert load_codebook(path).topics[0].cues == ("re:\\bwafers?\\b",)
    assert r"\bwafers?\b" in "".join(json.loads(memo.read_text(encoding="utf-8")))


def test_a_cache_folder_that_cannot_be_written_leaves_the_run_as_it_was(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("STANCE_CACHE", str(blocker / "cache"))  # mkdir under a file fails, even as root
    _forget_in_process()
    try:
        book = load_codebook(_write(tmp_path, "'re:\\bchips?\\b'"))
        assert RuleSet(book).votes(["New chips."]).toarray().tolist() == [[1]]
    finally:
        monkeypatch.undo()
        _forget_in_process()


def test_a_file_is_written_whole_or_not_at_all_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "prefilter.hsdb"
    write_whole(target, b"old")
    write_whole(target, b"new")
    assert target.read_bytes() == b"new"
    taken = tmp_path / "taken.json"
    taken.mkdir()
    (taken / "inside").write_text("x", encoding="utf-8")  # a folder in the file's place: the rename fails
    with pytest.raises(OSError):
        write_whole(taken, b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prefilter.hsdb", "taken.json"]  # no half-written part left


def test_memo_merges_what_another_run_saved_meanwhile(fresh_cache):
    one, other = Memo("example", []), Memo("example", [])
    one.get("x")
    other.get("x")  # both read the (empty) file before either saves
    one.put("a", 1)
    one.save()
    other.put("b", 2)
    other.save()
    assert Memo("example", []).get("a") == 1 and Memo("example", []).get("b") == 2


def test_the_rules_read_from_the_memo_vote_as_the_rules_worked_out(fresh_cache, monkeypatch):
    """The default codebook's rules, built cold and then from what the first build kept, give the same votes."""
    texts = [s.text for d in read_corpus([SEEDS_DIR]).documents for s in iter_sentences(d)]
    book = load_codebook()
    cold = RuleSet(book)
    assert list((fresh_cache / "memo").glob("regex-starts-*.json"))
    _forget_in_process()

    def worked_out(regex):
        raise AssertionError(f"worked out again: {regex}")

    monkeypatch.setattr(rules_module, "_work_out", worked_out)
    warm = RuleSet(load_codebook())
    assert warm._by_word == cold._by_word and warm._by_key == cold._by_key and warm._scan == cold._scan
    assert (warm.votes(texts) != cold.votes(texts)).nnz == 0
    assert cold.votes(texts).nnz > 300  # the seeds do fire cues: the comparison is not of two empty matrices

"""Cue rules: label functions that vote for a label, veto it, or abstain.

Each cue of the codebook is a small label function in the Snorkel sense: on a
sentence it votes +1 for its label (a cue), -1 against it (a negative cue), or
abstains. Per sentence and label the votes combine simply: a veto wins over
any number of positive hits (-1), otherwise one positive hit gives +1, and no
hit gives 0. ``RuleSet.hits`` says which cue fired where, so every vote can be
explained to an analyst; ``analyse`` reports each cue's coverage, overlaps,
conflicts and accuracy against gold labels, like Snorkel's ``LFAnalysis``.

Speed: the tagger must handle thousands of sentences a second, and a big
regex alternation in Python's ``re`` tries every branch at every position.
Instead the RuleSet reads each cue's regex to find the words a match can
start with: the exact first word of a plain phrase ("export" or "exports"
for "export control"), or only the first letters of a raw regex such as
``re:\\brestrict\\w*``. One regex pass over the lower-cased sentence finds
the words that start some cue; for each, one match call tries all cues filed
under it at once (a "probe"). A cue whose start cannot be worked out (a regex
starting with ``\\d`` or a quote mark) is searched over the whole sentence.
With a compiled prefilter attached (``attach_prefilter``, ``stance.prefilter``)
only the cues it reports are tried, each at the words that file it: the same
votes for about half the time.

>>> from stance.codebook import load_codebook
>>> rules = RuleSet(load_codebook())
>>> [(h.label, h.cue) for h in rules.hits("Washington added 140 Chinese firms to the entity list.") if not h.cue.startswith("re:")]
[('export_controls', 'entity list')]
>>> sorted({h.label for h in rules.hits("Washington added 140 Chinese firms to the entity list.")})
['export_controls', 'state_role']
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from stance import prefilter as _prefilter
from stance.cache import Memo
from stance.codebook import CUE_FLAGS, PHRASE_SEP, Codebook, alternation, compiled_regex, cue_regex, parsed_regex, phrase_words, regex_items

try:  # the parser behind `re`, to see where a cue can start; without it every cue is searched
    from re import _constants as _rc  # type: ignore[attr-defined]
    from re import _parser as _re_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a future Python may move it
    _re_parser = _rc = None

KEY_LEN = 4  # letters of a word that file an open-ended cue; 4 tells "chip" from "China"
MAX_WORD = 40  # longer first words are filed by their first KEY_LEN letters
_WORD = re.compile(r"\w+")
_WORD_START = ("(?<!\\w)", "\\b")  # redundant where probes run: at the start of a word


@dataclass(frozen=True, slots=True)
class Cue:
    """One label function: a cue of the codebook and the vote it casts."""

    label: str
    cue: str
    vote: int  # +1 votes for the label, -1 vetoes it


@dataclass(frozen=True, slots=True)
class CueHit:
    """A cue that fired: ``text[start:end]`` is the matched span."""

    label: str
    cue: str
    start: int
    end: int
    vote: int  # +1 = votes for label, -1 = vetoes it


@dataclass(frozen=True, slots=True)
class RuleStats:
    """How one cue behaves on a set of sentences (Snorkel's LFAnalysis, per cue).

    ``coverage``, ``overlaps`` and ``conflicts`` are fractions of all
    sentences: where the cue fires; where it fires together with another cue
    voting the same way on the same label; where it fires together with a cue
    voting the other way on the same label (a veto meeting a positive cue).
    ``correct`` counts hit sentences whose gold agrees with the vote (gold has
    the label for +1, lacks it for -1); ``accuracy`` is correct / hits, or
    None without gold or without hits.
    """

    label: str
    cue: str
    vote: int
    hits: int
    coverage: float
    overlaps: float
    conflicts: float
    correct: int | None
    incorrect: int | None
    accuracy: float | None


# Where a label's cue fired: (offset, lower-cased word, label index, vote, cues), ``cues`` being
# (end, cue index, end, cue index, ...) of the cues that fired there, flat to keep the vote cache
# small, when the votes already know them (the prefilter's path), else None (``reasons_at`` then
# matches that label's cues at the offset again).
Spot = tuple[int, str, int, int, tuple[int, ...] | None]


class RuleSet:
    """All cues of a codebook, compiled once.

    >>> from stance.codebook import parse_codebook
    >>> book = parse_codebook('[[topics]]\\nid = "ai"\\ncues = ["AI", "chatbot"]')
    >>> RuleSet(book).votes(["A new chatbot.", "Nothing here."]).toarray().tolist()
    [[1], [0]]
    """

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.label_ids: tuple[str, ...] = codebook.label_ids
        cues: list[Cue] = []
        label_of: list[int] = []
        for li, label in enumerate(codebook.labels):
            for vote, texts in ((1, label.cues), (-1, label.negative_cues)):
                cues += [Cue(label.id, text, vote) for text in texts]
                label_of += [li] * len(texts)
        self.cues: tuple[Cue, ...] = tuple(cues)
        self._label_of = label_of
        self._vote = [c.vote for c in cues]
        self._regexes = [cue_regex(c.cue) for c in cues]
        # A plain phrase's words (None for a raw regex, and for a phrase not bound to whole words,
        # as one in Chinese or Korean is: its own regex says where it may start and end).
        self._words_of = [
            words if words is not None and regex.startswith(_WORD_START[0]) and regex.endswith(r"(?!\w)") else None
            for words, regex in zip((phrase_words(c.cue) for c in cues), self._regexes)
        ]
        self._patterns: list[re.Pattern[str] | None] = [None] * len(cues)  # compiled when first needed
        self._groups: list[int] = []  # capturing groups inside each cue's own regex

        by_word: dict[str, list[int]] = {}  # exact first word -> cues
        by_key: dict[str, list[int]] = {}  # first KEY_LEN letters -> cues whose first word is open-ended
        scan: list[int] = []
        heads: dict[str, tuple[frozenset[str] | None, frozenset[str] | None, int]] = {}
        for ci, regex in enumerate(self._regexes):
            phrase = self._words_of[ci]
            if phrase is None:  # a raw regex, or a phrase not bound to whole words
                words, keys, groups = _analyse_regex(regex)
            else:
                # A phrase starts where its first word can: analyse that word alone, once for every
                # phrase it starts (parsing each whole phrase took most of building the rules).
                head = _phrase_head(phrase)
                analysed = heads.get(head)
                if analysed is None:
                    analysed = heads[head] = _analyse_regex(head)
                words, keys, groups = analysed
            self._groups.append(groups)
            if words is not None:
                for word in words:
                    by_word.setdefault(word, []).append(ci)
            elif keys is not None:
                for key in keys:
                    by_key.setdefault(key, []).append(ci)
            else:
                scan.append(ci)
        # A word is looked up whole first, then by its first letters; the probe
        # for a whole word also tries the open-ended cues of its first letters.
        self._by_word = {w: tuple(cis + by_key.get(w[:KEY_LEN], [])) for w, cis in by_word.items()}
        self._by_key = {k: tuple(cis) for k, cis in by_key.items()}
        self._scan = tuple(scan)
        # Probes are compiled when a word first needs one: a run only pays for the words it meets.
        self._probe_cache: dict[tuple[int, ...], tuple[_Probe, ...]] = {}
        self._cues_at: dict[tuple[str, int, int], tuple[tuple[re.Pattern[str], int], ...]] = {}
        # How evidence shows each cue: (prefix, the cue or None for one shown by its match, label).
        self._shown = [(*_how_shown(c.cue, c.vote), c.label) for c in cues]
        self._word_probes: dict[str, tuple[_Probe, ...]] = {}
        self._scan_probes = tuple(_Probe(self._pattern(ci), ((label_of[ci], self._vote[ci], 0),)) for ci in scan)
        starts = {w[:KEY_LEN] for w in by_word} | set(by_key)
        full = [k for k in starts if len(k) >= KEY_LEN]
        short = [k for k in starts if len(k) < KEY_LEN]
        # In lower-cased text: every whole word that starts like some cue.
        self._finder = re.compile(rf"(?<!\w)(?:{alternation(full)}|{alternation(short)}(?!\w))\w*")
        # Which words file each cue, for confirming the prefilter's candidates (see `attach_prefilter`).
        self._filed_words: list[frozenset[str]] = [frozenset()] * len(cues)
        self._filed_keys: list[frozenset[str]] = [frozenset()] * len(cues)
        for word, cis in by_word.items():
            for ci in cis:
                self._filed_words[ci] |= {word}
        for k, cis in by_key.items():
            for ci in cis:
                self._filed_keys[ci] |= {k}
        self._is_scanned = frozenset(scan)
        _analysed().save()
        self._prefilter: _prefilter.Prefilter | None = None
        self._prefilter_folder: Path | None = None
        self._voted = 0  # sentences voted on since a prefilter folder was attached

    def __repr__(self) -> str:
        counts = f"{len(self.label_ids)} labels, {len(self.cues)} cues, {len(self._scan)} searched"
        return f"RuleSet({self.codebook.name!r}: {counts})"

    def attach_prefilter(self, folder: Path, build: bool = False) -> bool:
        """Let ``votes`` ask a compiled prefilter (``stance.prefilter``) which cues may fire.

        The database is loaded from ``folder`` when cached there; otherwise it
        is compiled and cached once this RuleSet has voted on
        ``prefilter.BUILD_AFTER`` sentences, or now with ``build``. The
        compile (14 s for the default codebook) costs a first big run more
        than it saves; every later run with the codebook gains. The votes
        are the same either way. False when Hyperscan is not installed.
        """
        if not _prefilter.available():
            return False
        if self._prefilter_folder != folder:
            self._prefilter_folder = folder
            self._prefilter = _prefilter.load(folder, self._regexes)
        if build and self._prefilter is None:
            self._prefilter = self._build_prefilter()
        return True

    def _build_prefilter(self) -> _prefilter.Prefilter | None:
        return _prefilter.build(self._prefilter_folder, self._regexes, [parsed_regex(r) for r in self._regexes])

    def _prefilter_for(self, n: int) -> _prefilter.Prefilter | None:
        """The prefilter for a call voting on ``n`` sentences, compiled now if this run has become big enough."""
        if self._prefilter is None and self._prefilter_folder is not None:
            self._voted += n
            if self._voted >= _prefilter.BUILD_AFTER:
                self._prefilter = self._build_prefilter()
                if self._prefilter is None:
                    self._prefilter_folder = None  # Hyperscan took none of it: do not try again
        return self._prefilter

    def _pattern(self, ci: int) -> re.Pattern[str]:
        pattern = self._patterns[ci]
        if pattern is None:
            pattern = self._patterns[ci] = compiled_regex(self._regexes[ci])
        return pattern

    def _probes_for(self, word: str) -> tuple[_Probe, ...]:
        """The probes for a lower-cased word, compiled on first use."""
        cis = self._by_word.get(word)
        if cis is None:
            cis = self._by_key.get(word[:KEY_LEN], ())
        probes = self._probe_cache.get(cis)
        if probes is None:  # inflections of one word share their cues, hence their probe
            probes = self._probe_cache[cis] = self._make_probes(cis) if cis else ()
        self._word_probes[word] = probes
        return probes

    def _make_probes(self, cis: Sequence[int]) -> tuple[_Probe, ...]:
        """Patterns that test many cues in one call, and which (label, vote) each group answers.

        The probe for cues A1, A2 of one label and B1 of another is
        ``(?:(?=(A1|A2))|)(?:(?=(B1))|)``: it always matches, without moving,
        and groups 1 and 2 say whether each label's cues match here. Plain
        phrases of one label share their words: "trade war" and "trade deal"
        become ``trade(?:SEP(?:war|deal))``, so "trade" is matched once.
        """
        sides: dict[tuple[int, int], list[int]] = {}
        for ci in cis:
            sides.setdefault((self._vote[ci], self._label_of[ci]), []).append(ci)
        parts, answers, group = [], [], 1
        for (vote, li), members in sorted(sides.items()):  # vetoes (-1) first
            phrases = [self._words_of[ci] for ci in members if self._words_of[ci] is not None]
            raw = [_strip_word_start(self._regexes[ci]) for ci in members if self._words_of[ci] is None]
            branches = ([_phrase_trie(phrases)] if phrases else []) + [f"(?:{r})" for r in raw]
            parts.append("(?:(?=(" + "|".join(branches) + "))|)")
            answers.append((li, vote, group))
            group += 1 + sum(self._groups[ci] for ci in members)  # the cues' own groups are numbered too
        try:
            return (_Probe(re.compile("".join(parts), CUE_FLAGS), tuple(answers)),)
        except re.error:  # e.g. two raw regexes naming the same group: one probe per cue
            if len(cis) == 1:
                raise
            return tuple(probe for ci in cis for probe in self._make_probes([ci]))

    def _words(self, text: str) -> Iterator[tuple[int, str]]:
        """(offset, lower-cased word) of every word of ``text`` that starts like some cue."""
        low = text.lower()
        if len(low) == len(text):  # lower() kept every offset: let the C regex engine find the words
            return ((m.start(), m.group()) for m in self._finder.finditer(low))
        # a character such as "İ" lower-cases to two: look word by word
        return ((m.start(), m.group().lower()) for m in _WORD.finditer(text))

    def hits(self, text: str, labels: Collection[int] | None = None) -> list[CueHit]:
        """Every cue that fires on ``text`` (each cue at most once per start), in text order.

        ``labels`` (label indices) limits the search to those labels' cues:
        the tagger only explains the labels it gives.
        """
        found: list[tuple[int, int, int]] = []  # (start, end, cue index)
        label_of = self._label_of
        for pos, word in self._words(text):
            cis = self._by_word.get(word)
            for ci in self._by_key.get(word[:KEY_LEN], ()) if cis is None else cis:
                if labels is not None and label_of[ci] not in labels:
                    continue
                m = self._pattern(ci).match(text, pos)
                if m:
                    found.append((pos, m.end(), ci))
        return self._as_hits(self._with_scanned(text, labels, found))

    def reasons_at(self, text: str, spots: Sequence[Spot], labels: Collection[int] | None = None) -> dict[str, list[str]]:
        """The evidence for ``hits(text, labels)``, as the tagger shows it: label -> ["cue: entity list", "veto: ..."].

        It looks only where ``votes`` found a label's cue: ``spots`` are what
        ``votes(..., spots=...)`` recorded for ``text``. The tagger votes on
        every sentence anyway, so explaining a label costs a few cue matches
        (none where the prefilter's votes kept which cues fired) instead of a
        second pass over every word. A regex cue is shown by what it matched,
        which an analyst can read; see ``evidence_of`` for what is shown once.
        """
        shown_as = self._shown
        return _readable(text, ((start, end, *shown_as[ci]) for start, end, ci in self._found_at(text, spots, labels)))

    def evidence_of(self, text: str, hits: Iterable[CueHit]) -> dict[str, list[str]]:
        """Cue hits as evidence shows them: label -> ["cue: entity list", 'veto: "so-called national security"'].

        A plain phrase is shown as the codebook writes it; a regex, or a word
        ending in '*' ("semiconduct*"), by the text it matched, its spaces and
        line breaks read as single spaces. Words of the
        sentence are shown once per label and vote: a second cue matching the
        same words ("lost revenue" and ``re:lost\\s+revenue``), or words inside
        ones already shown ("security" in "national security"), adds nothing
        an analyst could see, so it is left out.

        >>> from stance.codebook import load_codebook
        >>> rules = RuleSet(load_codebook())
        >>> rules.evidence_of("Exports of semiconductors fell.", rules.hits("Exports of semiconductors fell."))["semiconductors"]
        ['cue: "semiconductors"']
        """
        return _readable(text, (
            (h.start, h.end, *_how_shown(h.cue, h.vote), h.label) for h in hits
        ))

    def _found_at(self, text: str, spots: Sequence[Spot], labels: Collection[int] | None) -> list[tuple[int, int, int]]:
        """(start, end, cue index) of every cue firing at the spots, in text order."""
        found: list[tuple[int, int, int]] = []
        for pos, word, li, vote, cues in spots:
            if labels is not None and li not in labels:
                continue
            if cues is not None:
                found.extend((pos, cues[k], cues[k + 1]) for k in range(0, len(cues), 2))
                continue
            key = (word, li, vote)
            candidates = self._cues_at.get(key)
            if candidates is None:
                candidates = self._cues_at[key] = self._candidates(word, li, vote)
            for pattern, ci in candidates:
                m = pattern.match(text, pos)
                if m:
                    found.append((pos, m.end(), ci))
        return self._with_scanned(text, labels, found)

    def _with_scanned(self, text: str, labels: Collection[int] | None, found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """``found`` plus the hits of the cues no first word indexes, sorted into text order."""
        for ci in self._scan:
            if labels is None or self._label_of[ci] in labels:
                found.extend((m.start(), m.end(), ci) for m in self._pattern(ci).finditer(text))
        found.sort()
        return found

    def _as_hits(self, found: list[tuple[int, int, int]]) -> list[CueHit]:
        cues = self.cues
        return [CueHit(cues[ci].label, cues[ci].cue, start, end, cues[ci].vote) for start, end, ci in found]

    def _candidates(self, word: str, li: int, vote: int) -> tuple[tuple[re.Pattern[str], int], ...]:
        """The cues of label ``li`` with ``vote`` that a word starting there could begin."""
        cis = self._by_word.get(word)
        if cis is None:
            cis = self._by_key.get(word[:KEY_LEN], ())
        return tuple((self._pattern(ci), ci) for ci in cis if self._label_of[ci] == li and self._vote[ci] == vote)

    def votes(self, texts: Sequence[str], spots: list[list[Spot]] | None = None) -> sp.csr_matrix:
        """A (len(texts), len(label_ids)) int8 matrix of +1 / -1 / 0, labels in codebook order.

        With a ``spots`` list, one list per text is appended to it: where a
        word's cues fired, as ``Spot`` tuples, for ``reasons_at``.
        """
        if isinstance(texts, str):
            raise TypeError("votes() expects a sequence of sentences, got a single string; wrap it in a list")
        rows: list[int] = []
        cols: list[int] = []
        data: list[int] = []
        scan_probes = self._scan_probes
        prefilter = self._prefilter_for(len(texts))
        for row, text in enumerate(texts):
            votes: dict[int, int] = {}
            where: list[Spot] | None = [] if spots is not None else None
            low = text.lower()
            same = len(low) == len(text)  # else a character such as "İ" grew: look at every word
            if prefilter is not None and same:
                self._confirm(text, low, prefilter.candidates(text), votes, where)
            else:
                self._probe(text, low, same, votes, where)
            for pattern, answers in scan_probes:
                m = pattern.search(text)
                if m is not None:
                    li, vote, _ = answers[0]
                    if votes.get(li) != -1:
                        votes[li] = vote
            if where is not None:
                spots.append(where)
            for li, vote in votes.items():
                rows.append(row)
                cols.append(li)
                data.append(vote)
        return sp.csr_matrix(
            (np.array(data, dtype=np.int8), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
            shape=(len(texts), len(self.label_ids)),
            dtype=np.int8,
        )

    def _confirm(self, text: str, low: str, candidates: Sequence[int], votes: dict[int, int], where: list[Spot] | None) -> None:
        """``_probe``'s votes and spots, trying only the prefilter's candidate cues at the words that file them."""
        if not candidates:
            return
        filed_words, filed_keys, label_of, vote_of, scanned = self._filed_words, self._filed_keys, self._label_of, self._vote, self._is_scanned
        candidates = [ci for ci in candidates if ci not in scanned]  # those are searched over the whole sentence by the caller
        if not candidates:
            return
        # The sentence's whole words (the finder's words are whole words too, and every cue's key is
        # made of word characters) that some candidate is filed under, or under their first letters.
        tokens = _WORD.findall(low)
        present = frozenset().union(*[filed_words[ci] for ci in candidates]).intersection(tokens)
        keys = frozenset().union(*[filed_keys[ci] for ci in candidates])
        if keys:
            present |= {token for token in tokens if token[:KEY_LEN] in keys}
        if not present:
            return
        at: dict[str, list[int]] = {}  # word -> its offsets as a whole word
        end = len(low)
        for word in present:
            size = len(word)
            pos = low.find(word)
            while pos >= 0:
                if (pos == 0 or not _is_word(low[pos - 1])) and (pos + size == end or not _is_word(low[pos + size])):
                    at.setdefault(word, []).append(pos)
                pos = low.find(word, pos + 1)
        fired: dict[tuple[int, int, int], list[int]] = {}  # (offset, vote, label index) -> [end, cue, end, cue, ...]
        for ci in candidates:
            words = filed_words[ci] & at.keys()
            if filed_keys[ci]:
                words |= {word for word in at if word[:KEY_LEN] in filed_keys[ci]}
            if not words:
                continue
            pattern = self._pattern(ci)
            for word in words:
                for pos in at[word]:
                    m = pattern.match(text, pos)
                    if m:
                        fired.setdefault((pos, vote_of[ci], label_of[ci]), []).extend((m.end(), ci))
        if where is not None and fired:
            word_at = {pos: word for word, offsets in at.items() for pos in offsets}
        for spot in sorted(fired):  # the order `_probe` finds them in: by offset, vetoes first
            pos, vote, li = spot
            if votes.get(li) != -1:
                votes[li] = vote
            if where is not None:
                where.append((pos, word_at[pos], li, vote, tuple(fired[spot])))

    def _probe(self, text: str, low: str, same: bool, votes: dict[int, int], where: list[Spot] | None) -> None:
        """Votes and spots from the probes of every word that starts like some cue."""
        word_probes = self._word_probes
        for w in self._finder.finditer(low) if same else _WORD.finditer(text):
            word = w.group() if same else w.group().lower()
            probes = word_probes.get(word)
            if probes is None:
                probes = self._probes_for(word)
            pos = w.start()
            for pattern, answers in probes:
                m = pattern.match(text, pos)
                if m.lastindex is not None:  # some cue matched here
                    for li, vote, group in answers:
                        if m.group(group) is not None:
                            if votes.get(li) != -1:  # a veto sticks; a positive vote never overrides one
                                votes[li] = vote
                            if where is not None:
                                where.append((pos, word, li, vote, None))


class _Probe(NamedTuple):
    pattern: re.Pattern[str]
    answers: tuple[tuple[int, int, int], ...]  # (label index, vote, group number)


def _how_shown(cue: str, vote: int) -> tuple[str, str | None]:
    """How evidence shows a cue: its prefix, and the cue as written, or None where it is shown by the
    text it matched (a regex, or a word ending in '*': "semiconduct*" is a pattern, not the sentence's words)."""
    return "veto: " if vote < 0 else "cue: ", None if cue.startswith("re:") or "*" in cue else cue


def _readable(text: str, found: Iterable[tuple[int, int, str, str | None, str]]) -> dict[str, list[str]]:
    """Evidence from (start, end, prefix, the cue shown or None for its match, label), in text order,
    each label's words shown once per prefix (see ``RuleSet.evidence_of``)."""
    found = list(found)
    if len(found) > 1:
        found.sort(key=_longest_first)
    out: dict[str, list[str]] = {}
    kept: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for start, end, prefix, shown, label in found:
        # a match across a line break (text from a PDF or a wrapped paragraph) reads as one line
        reason = prefix + (shown if shown is not None else '"' + " ".join(text[start:end].split()) + '"')
        why = out.get(label)
        if why is None:  # the label's first reason: nothing to compare it with (most labels have one)
            out[label] = [reason]
            kept[(label, prefix)] = [(start, end)]
            continue
        spans = kept.setdefault((label, prefix), [])
        if reason in why or any(s <= start and end <= e for s, e in spans):
            continue
        why.append(reason)
        spans.append((start, end))
    return out


def _longest_first(found: tuple[int, int, str, str | None, str]) -> tuple[int, int]:
    return found[0], -found[1]  # in text order; at one start, the longest match first


def _strip_word_start(regex: str) -> str:
    for prefix in _WORD_START:
        if regex.startswith(prefix):
            return regex[len(prefix) :]
    return regex


def _phrase_trie(phrases: list[tuple[str, ...]]) -> str:
    """One regex for plain phrases given as word regexes, shared leading words factored out."""
    trie: dict = {}
    for words in phrases:
        node = trie
        for word in words:
            node = node.setdefault(word, {})
        node[None] = {}  # a phrase ends here

    def after(node: dict) -> str:
        nexts = [word + after(child) for word, child in node.items() if word is not None]
        options = [PHRASE_SEP + "(?:" + "|".join(nexts) + ")"] if nexts else []
        if None in node:
            options.append(r"(?!\w)")
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"

    return "(?:" + "|".join(word + after(child) for word, child in trie.items()) + ")"


def analyse(ruleset: RuleSet, texts: Sequence[str], gold: Sequence[Collection[str]] | None = None) -> list[RuleStats]:
    """Coverage, overlaps, conflicts and (with gold label sets) accuracy of every cue.

    One row per cue, in codebook order, including cues that never fire.

    >>> from stance.codebook import parse_codebook
    >>> rules = RuleSet(parse_codebook('[[topics]]\\nid = "ai"\\ncues = ["AI", "chatbot"]'))
    >>> [(s.cue, s.hits, s.accuracy) for s in analyse(rules, ["AI chatbot", "AI"], [{"ai"}, set()])]
    [('AI', 2, 0.5), ('chatbot', 1, 1.0)]
    """
    if gold is not None and len(gold) != len(texts):
        raise ValueError(f"gold has {len(gold)} label sets for {len(texts)} texts; give one set per text")
    n = len(texts)
    slot = {(c.label, c.cue, c.vote): i for i, c in enumerate(ruleset.cues)}
    hits = [0] * len(slot)
    overlaps = [0] * len(slot)
    conflicts = [0] * len(slot)
    correct = [0] * len(slot)
    for t, text in enumerate(texts):
        fired = {slot[(h.label, h.cue, h.vote)] for h in ruleset.hits(text)}
        by_side: dict[tuple[str, int], int] = {}
        for ci in fired:
            side = (ruleset.cues[ci].label, ruleset.cues[ci].vote)
            by_side[side] = by_side.get(side, 0) + 1
        for ci in fired:
            cue = ruleset.cues[ci]
            hits[ci] += 1
            overlaps[ci] += by_side[(cue.label, cue.vote)] > 1
            conflicts[ci] += (cue.label, -cue.vote) in by_side
            if gold is not None:
                correct[ci] += (cue.label in gold[t]) == (cue.vote == 1)
    stats = []
    for ci, cue in enumerate(ruleset.cues):
        ok = correct[ci] if gold is not None else None
        stats.append(
            RuleStats(
                label=cue.label,
                cue=cue.cue,
                vote=cue.vote,
                hits=hits[ci],
                coverage=hits[ci] / n if n else 0.0,
                overlaps=overlaps[ci] / n if n else 0.0,
                conflicts=conflicts[ci] / n if n else 0.0,
                correct=ok,
                incorrect=None if ok is None else hits[ci] - ok,
                accuracy=None if ok is None or not hits[ci] else ok / hits[ci],
            )
        )
    return stats


# --- where can a cue start? -------------------------------------------------------


class _Unindexable(Exception):
    """The regex may start somewhere the word index cannot see: search it instead."""


_MAX_STATES = 512


def start_keys(regex: str, length: int = KEY_LEN) -> frozenset[str] | None:
    """The lower-cased first ``length`` letters of every word a match of ``regex`` can start.

    ``None`` when a match may start inside a word, at a non-word character, or
    with too many possible letters: such a cue must be searched everywhere.
    A key shorter than ``length`` means the word is exactly that long.

    >>> sorted(start_keys(r"(?<!\\w)(?:chips?|AI)(?!\\w)"))
    ['ai', 'chip']
    >>> start_keys(r"\\d+ ?nm") is None
    True
    """
    if _re_parser is None:
        return None
    return _keys(_re_parser.parse(regex, CUE_FLAGS), length)


def _phrase_head(words: Sequence[str]) -> str:
    """The regex of a plain phrase's first word alone, as ``cue_regex`` bounds it.

    Its first words and keys are the whole phrase's (tested on every phrase of
    the default codebook); a phrase has no capturing groups.
    """
    return r"(?<!\w)" + words[0] + r"(?!\w)"


def _analyse_regex(regex: str) -> tuple[frozenset[str] | None, frozenset[str] | None, int]:
    """(exact first words or None, first-letter keys or None, capturing groups) of a cue regex,
    worked out once by this code (parsing is most of building the rules) and then kept on disk."""
    known = _analysed().get(regex)
    if isinstance(known, list) and len(known) == 3:
        words, keys, groups = known
        return (None if words is None else frozenset(words)), (None if keys is None else frozenset(keys)), groups
    found = _work_out(regex)
    _analysed().put(regex, [None if found[0] is None else sorted(found[0]), None if found[1] is None else sorted(found[1]), found[2]])
    return found


@cache
def _analysed() -> Memo:
    """What ``_work_out`` found of each regex, in this run or an earlier one (``stance.cache``)."""
    return Memo("regex-starts", [Path(__file__), Path(__file__).with_name("codebook.py")])


def _work_out(regex: str) -> tuple[frozenset[str] | None, frozenset[str] | None, int]:
    if _re_parser is None:
        return None, None, compiled_regex(regex).groups
    parsed = parsed_regex(regex)
    words = _keys(parsed, MAX_WORD)
    if words is not None and any(len(w) >= MAX_WORD for w in words):
        words = None
    return words, (None if words is not None else _keys(parsed, KEY_LEN)), parsed.state.groups - 1


def _keys(parsed: object, length: int) -> frozenset[str] | None:
    try:
        states = _walk(regex_items(parsed), {("", False, False)}, length)
    except (_Unindexable, RecursionError):
        return None
    keys = set()
    for prefix, _anchored, done in states:
        if not prefix or not done:  # may match without a word, or the word may go on
            return None
        keys.add(prefix)
    return frozenset(keys)


_State = tuple[str, bool, bool]  # (key so far, match starts at a word start, key complete)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what `\w` means for str patterns


def _is_word_class(items: object) -> bool:
    """True for the parse of ``\\w`` or ``[\\w]``."""
    return items == [(_rc.IN, [(_rc.CATEGORY, _rc.CATEGORY_WORD)])]


def _consume(states: set[_State], chars: set[str], length: int) -> set[_State]:
    out: set[_State] = set()
    for state in states:
        prefix, anchored, done = state
        if done:
            out.add(state)
            continue
        for ch in chars:
            if _is_word(ch):
                if not prefix and not anchored:
                    raise _Unindexable  # could start inside a word
                key = prefix + ch.lower()
                out.add((key, anchored, len(key) >= length))
            elif prefix:
                out.add((prefix, anchored, True))  # the word ends here
            else:
                raise _Unindexable  # starts with punctuation or space
    if len(out) > _MAX_STATES:
        raise _Unindexable
    return out


def _close(states: set[_State]) -> set[_State]:
    """A point where the next character cannot be a word character."""
    return {(p, a, d or bool(p)) for p, a, d in states}


def _set_chars(items: list) -> tuple[set[str], bool]:
    """Characters of a [...] class, and whether it may hold word characters we cannot list."""
    chars: set[str] = set()
    unlisted_word = False
    for op, av in items:
        if op is _rc.LITERAL:
            chars.add(chr(av))
        elif op is _rc.RANGE:
            lo, hi = av
            if hi - lo > 64:
                raise _Unindexable
            chars.update(chr(c) for c in range(lo, hi + 1))
        elif op is _rc.CATEGORY:
            if av in (_rc.CATEGORY_SPACE, _rc.CATEGORY_NOT_WORD):
                chars.add(" ")  # stands for "some non-word character"
            else:  # \w, \d, \D...: word characters we cannot list
                unlisted_word = True
        else:  # NEGATE and friends
            raise _Unindexable
    return chars, unlisted_word


def _walk(items: list, states: set[_State], length: int) -> set[_State]:
    for op, av in items:
        if all(done for _p, _a, done in states):
            return states
        if op is _rc.LITERAL:
            states = _consume(states, {chr(av)}, length)
        elif op is _rc.IN:
            chars, unlisted_word = _set_chars(av)
            if unlisted_word:
                raise _Unindexable
            states = _consume(states, chars, length)
        elif op is _rc.BRANCH:
            merged: set[_State] = set()
            for branch in av[1]:
                merged |= _walk(regex_items(branch), states, length)
            states = merged
        elif op is _rc.SUBPATTERN:
            states = _walk(regex_items(av[-1]), states, length)
        elif op is getattr(_rc, "ATOMIC_GROUP", None):
            states = _walk(regex_items(av), states, length)
        elif op in (_rc.MAX_REPEAT, _rc.MIN_REPEAT, getattr(_rc, "POSSESSIVE_REPEAT", None)):
            states = _repeat(av, states, length)
        elif op is _rc.AT:
            if av in (_rc.AT_BOUNDARY, _rc.AT_BEGINNING, _rc.AT_BEGINNING_STRING):
                # at the start: the match starts a word; after letters: the word ends
                states = {(p, a or not p, d or bool(p)) for p, a, d in states}
            elif av in (_rc.AT_END, _rc.AT_END_STRING):
                states = _close(states)
            elif av is _rc.AT_NON_BOUNDARY and any(not p for p, _a, _d in states):
                raise _Unindexable
        elif op is _rc.ASSERT_NOT:
            direction, sub = av
            if _is_word_class(regex_items(sub)):
                if direction < 0:  # (?<!\w): nothing word-like before, a word starts here
                    states = {(p, a or not p, d) for p, a, d in states}
                else:  # (?!\w): the word ends here
                    states = _close(states)
            # other negative assertions only narrow the matches: ignore them
        elif op is _rc.ASSERT:
            pass  # a positive assertion only narrows the matches
        else:  # any character, back references, conditionals...
            raise _Unindexable
    return states


def _repeat(av: tuple, states: set[_State], length: int) -> set[_State]:
    lo, hi, item = av
    item = regex_items(item)
    result = set(states) if lo == 0 else set()
    current = states
    for k in range(1, min(hi, length) + 1):
        current = _walk(item, current, length)
        if all(done for _p, _a, done in current):
            return result | current  # further copies leave complete keys alone
        if k >= lo:
            result |= current
    if hi > length:
        # Each copy consumed a character, so after `length` copies every key is
        # complete; a copy that can be empty leaves keys open: we cannot tell.
        raise _Unindexable
    return result

"""Tone of a sentence: TextBlob polarity and subjectivity, VADER compound.

    >>> tone("Japanese companies seized the opportunity.")
    Tone(polarity=0.0, subjectivity=0.0, compound=0.4215)
    >>> tone("This protectionist policy aims to prevent cheaper, better products.").polarity
    0.5

The numbers are exactly those of ``TextBlob(text).sentiment`` and of
``SentimentIntensityAnalyzer().polarity_scores(text)["compound"]``, but those
calls manage under 2,000 seed sentences/s together, far too slow for the
tagger. Caching by text would not help: a corpus rarely repeats a sentence.
So this module runs both hot paths itself, on the libraries' own data:

- the lexicons are the loaded library objects' (``en-sentiment.xml`` as parsed
  by ``textblob.en.sentiment``, with its added "-ly" adverbs; VADER's
  ``vader_lexicon.txt`` and emoji table from a ``SentimentIntensityAnalyzer``),
  as are the tokenizer constants (``textblob._text``), and VADER's
  ``scalar_inc_dec`` and "but" rule are called;
- the per-sentence control flow is rewritten: each whitespace token is split,
  looked up and classified once for both scorers and memoised (a corpus's
  vocabulary is small, its sentences are not); a sentence becomes a string of
  one-letter codes, so that C string methods skip the many words that cannot
  change a score, and only the few that can run the libraries' rules;
- a sentence that TextBlob's emoticon or sarcasm regexes would rewrite
  (":)", "(!)", "8)"), or that holds a blank line, goes to TextBlob itself.

``tests/test_tone.py`` checks both scores against the libraries' own APIs on
every seed sentence, hand-made edge cases and shuffled sentences;
``bench/bench_tone.py`` measures the speed.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import itemgetter
from types import ModuleType
from typing import Any

__all__ = ["Tone", "tone", "tones"]


@dataclass(frozen=True, slots=True)
class Tone:
    """Lexicon tone of one sentence.

    polarity: TextBlob (pattern) polarity in [-1, 1].
    subjectivity: TextBlob (pattern) subjectivity in [0, 1].
    compound: VADER compound score in [-1, 1], rounded to 4 places as VADER does.
    """

    polarity: float
    subjectivity: float
    compound: float


def tone(text: str) -> Tone:
    """Score one sentence; the same numbers as TextBlob's and VADER's own APIs."""
    if not isinstance(text, str):
        raise TypeError(f"tone() expects a str, got {type(text).__name__}")
    lx = _lexicons()
    tokens = _tokens(text.split(), lx)
    polarity, subjectivity = _pattern_sentiment(text, tokens, lx)
    return Tone(polarity, subjectivity, _vader_compound(text, tokens, lx))


def tones(texts: Iterable[str]) -> list[Tone]:
    """Score many sentences, in order."""
    if isinstance(texts, str):
        # A lone string would otherwise be scored one character at a time.
        raise TypeError("tones() expects an iterable of sentences, got a single str")
    return [tone(text) for text in texts]


# --- Data ---------------------------------------------------------------------

# One whitespace-delimited token, as both scorers see it (see _token()).
_Token = tuple[
    str,  # pattern: one code per pattern token, plus emoticon marks
    tuple[Any, ...],  # pattern: (code, lower-cased token, lexicon entry) of the active ones
    str,  # pattern: its pattern tokens, space-joined
    str,  # VADER: the word, leading and trailing punctuation stripped
    str,  # VADER: the word lower-cased
    str,  # VADER: its code
]
_p_codes = itemgetter(0)
_p_actives = itemgetter(1)
_p_joined = itemgetter(2)
_v_lower = itemgetter(4)
_v_code = itemgetter(5)

# The memo grows with the vocabulary (about 300 bytes a token), which is
# bounded in practice; the limit keeps a long-running app under ~30 MB.
_MEMO_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class _Lexicons:
    # TextBlob (pattern)
    p_lexicon: dict[str, tuple[float, float, float, bool]]  # word -> p, s, i, adverb
    p_emoticons: dict[str, float]  # lower-cased emoticon -> polarity
    p_negations: frozenset[str]
    p_lead: frozenset[str]  # punctuation split off the front of a token
    p_trail: frozenset[str]  # ... and off the back (adds ".")
    p_punct: tuple[str, ...]
    p_punct_dot: tuple[str, ...]
    p_punct_string: str
    p_abbreviations: frozenset[str]
    p_abbr_res: tuple[re.Pattern[str], ...]
    p_replacements: tuple[tuple[str, str], ...]
    p_quotes: frozenset[str]  # characters find_tokens spaces out
    p_eos: str
    p_emoticon_re: re.Pattern[str]
    p_sarcasm_re: re.Pattern[str]
    p_letter_faces: tuple[str, ...]  # emoticons made of letters only ("xD")
    p_heads: dict[str, str]  # character -> its head mark (see _PAIR_MARKS)
    p_tails: dict[str, str]  # character -> its tail mark
    p_meet_re: re.Pattern[str]  # a tail mark then a head mark that can pair
    p_library: Any  # textblob.en.sentiment, for the rare fallback
    # VADER
    v_analyzer: Any  # a SentimentIntensityAnalyzer, for its tables and rules
    v_lexicon: dict[str, float]
    v_emojis: frozenset[str]  # what polarity_scores replaces, char by char
    v_boosters: dict[str, float]
    v_negate: frozenset[str]
    v_special_cases: dict[str, float]
    v_rule_words: frozenset[str]  # see _V_RULE
    v_n_scalar: float
    v_c_incr: float
    v_scalar_inc_dec: Any
    v_punctuation: str
    memo: dict[str, _Token]  # whitespace token -> _token()


_TEXTBLOB_PARTS = ("textblob", "textblob._text", "textblob.en")
_LOADING = threading.Lock()


def _textblob_modules() -> tuple[ModuleType, ModuleType]:
    """textblob's ``_text`` and ``en`` modules, from its installed files.

    ``import textblob`` runs its package ``__init__``, which imports nltk,
    and nltk imports scikit-learn: about 1.5 s of every ``stance tag`` run's
    start-up, for two modules that need only the standard library. Unless
    textblob is imported already, they are loaded under a bare stand-in for
    the package, which is then taken out of ``sys.modules`` again: a later
    ``import textblob`` gets the real package, with modules of its own.
    """
    if "textblob" in sys.modules:
        return importlib.import_module("textblob._text"), importlib.import_module("textblob.en")
    spec = importlib.util.find_spec("textblob")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("textblob is not installed")
    stand_in = ModuleType("textblob")
    stand_in.__path__ = list(spec.submodule_search_locations)
    sys.modules["textblob"] = stand_in
    try:
        return importlib.import_module("textblob._text"), importlib.import_module("textblob.en")
    finally:
        for name in _TEXTBLOB_PARTS:
            sys.modules.pop(name, None)


@cache
def _lexicons() -> _Lexicons:
    # The dashboard's script threads may ask at once: one loads (cached), the others wait
    # for it and get the same; after that the outer cache answers without the lock.
    with _LOADING:
        return _load_lexicons()


@cache
def _load_lexicons() -> _Lexicons:
    import string

    from vaderSentiment import vaderSentiment as vs

    _text, en = _textblob_modules()
    sentiment = en.sentiment

    len(sentiment)  # a lazydict: this loads en-sentiment.xml
    p_lexicon = {
        word: (*by_pos[None], "RB" in by_pos)
        for word, by_pos in dict.items(sentiment)
        if None in by_pos
    }
    p_emoticons: dict[str, float] = {}
    for (_name, polarity), faces in _text.EMOTICONS.items():
        for face in faces:
            p_emoticons.setdefault(face.lower(), polarity)
    rewritten = [face for faces in _text.EMOTICONS.values() for face in faces] + ["(!)"]
    pairs = sorted({face[k : k + 2] for face in rewritten for k in range(len(face) - 1)})
    chars = sorted({c for pair in pairs for c in pair})
    if len(chars) > 0x3F:
        raise RuntimeError(f"{len(chars)} emoticon characters: too many for the marks")
    heads = {c: chr(_HEAD_MARK + k) for k, c in enumerate(chars)}
    tails = {c: chr(_TAIL_MARK + k) for k, c in enumerate(chars)}
    punct = tuple(_text.PUNCTUATION.replace(".", ""))

    analyzer = vs.SentimentIntensityAnalyzer()
    if "but" in analyzer.lexicon:
        # _vader_token() gives "but" its own code on the grounds that it never scores
        raise RuntimeError("vaderSentiment's lexicon scores 'but'; stance.tone must be updated")
    multi_word = [key.split(" ") for key in [*vs.SPECIAL_CASES, *vs.BOOSTER_DICT] if " " in key]
    rule_words = {
        # sentiment_valence, _negation_check, _least_check, "kind of"
        *("no", "never", "so", "this", "without", "doubt", "least", "kind"),
        *(key for key in vs.BOOSTER_DICT if " " not in key),
        *vs.NEGATE,
        # _special_idioms_check needs every word of a key nearby; one will do
        *(max(words, key=len) for words in multi_word),
    }
    return _Lexicons(
        p_lexicon=p_lexicon,
        p_emoticons=p_emoticons,
        p_negations=frozenset(sentiment.negations),
        p_lead=frozenset(punct),
        p_trail=frozenset(punct) | {"."},
        p_punct=punct,
        p_punct_dot=punct + (".",),
        p_punct_string=_text.PUNCTUATION,
        p_abbreviations=frozenset(_text.ABBREVIATIONS),
        p_abbr_res=(_text.RE_ABBR1, _text.RE_ABBR2, _text.RE_ABBR3),
        p_replacements=tuple(_text.replacements.items()),
        p_quotes=frozenset("“”‘’'\""),
        p_eos=_text.EOS,
        p_emoticon_re=_text.RE_EMOTICONS,
        p_sarcasm_re=_text.RE_SARCASM,
        p_letter_faces=tuple(face for face in rewritten if face.isalpha()),
        p_heads={b: heads[b] for _a, b in pairs},
        p_tails={a: tails[a] for a, _b in pairs},
        p_meet_re=re.compile(
            "|".join(map(re.escape, [_SELF_MARK] + [tails[a] + heads[b] for a, b in pairs]))
        ),
        p_library=sentiment,
        v_analyzer=analyzer,
        v_lexicon=analyzer.lexicon,
        v_emojis=frozenset(e for e in analyzer.emojis if len(e) == 1),
        v_boosters=vs.BOOSTER_DICT,
        v_negate=frozenset(vs.NEGATE),
        v_special_cases=vs.SPECIAL_CASES,
        v_rule_words=frozenset(rule_words),
        v_n_scalar=vs.N_SCALAR,
        v_c_incr=vs.C_INCR,
        v_scalar_inc_dec=vs.scalar_inc_dec,
        v_punctuation=string.punctuation,
        memo={},
    )


def _tokens(split: list[str], lx: _Lexicons) -> list[_Token]:
    memo = lx.memo
    if len(memo) > _MEMO_LIMIT:
        memo.clear()
    found = list(map(memo.get, split))
    if None in found:
        found = [
            f if f is not None else memo.setdefault(t, _token(t, lx))
            for f, t in zip(found, split)
        ]
    return found


def _token(token: str, lx: _Lexicons) -> _Token:
    return (*_pattern_token(token, lx), *_vader_token(token, lx))


# --- TextBlob (pattern) ------------------------------------------------------

# What a token does in pattern's assessment loop (Sentiment.assessments), as a
# one-letter code, so that a sentence's codes form a string C code can search.
_NOOP = "n"  # short unknown token (",", "a"): keeps modifier and negation
_DROP_NEGATION = "d"  # two-letter unknown word ("of"): forgets a pending negation
_RESET = "r"  # longer unknown word: forgets the pending modifier and negation
_KNOWN = "k"  # in the lexicon
_OTHER = "o"  # negation, "!", "(!)", emoticon, odd lengths: run the full rules
_ACTIVE_CODES = (_KNOWN, _OTHER)

# _PAIR_MARKS: TextBlob rewrites emoticons and "(!)" after tokenizing, and a
# rewrite can span the space between two tokens. So a token's codes also carry
# a mark for its first character if that can continue an emoticon, and one
# for its last if that can start one: a rewrite can only happen inside one
# token (_SELF_MARK) or where two such marks meet. The marks are Latin-1
# characters that are no codes, which keeps the code strings one byte wide.
_HEAD_MARK = 0x80  # up to 0xBF
_TAIL_MARK = 0xC0  # up to 0xFE
_SELF_MARK = "\xff"


def _pattern_sentiment(text: str, tokens: list[_Token], lx: _Lexicons) -> tuple[float, float]:
    """textblob.en.sentiment(text): find_tokens, Sentiment.assessments, avg."""
    if "\n\n" in text or "\n\r\n" in text or lx.p_eos in text:
        # A blank line becomes a sentence break that the library then drops;
        # rare inside a sentence, so let the library do it.
        return _pattern_library(text, lx)
    codes = "".join(map(_p_codes, tokens))
    if lx.p_meet_re.search(codes):
        # TextBlob might rewrite an emoticon here. Its per-sentence matches
        # are a subset of matches in the whole token string: check that.
        joined = " ".join(map(_p_joined, tokens))
        if lx.p_emoticon_re.search(joined) or lx.p_sarcasm_re.search(joined):
            return _pattern_library(text, lx)
    actives = list(chain.from_iterable(filter(None, map(_p_actives, tokens))))
    if not actives:
        return 0.0, 0.0  # no assessments: the library's avg() of nothing
    # gaps[j]: the codes between active token j-1 and active token j
    gaps = codes.replace(_KNOWN, "|").replace(_OTHER, "|").split("|")
    negations = lx.p_negations
    a: list[list[float]] = []  # [polarity, subjectivity, intensity, negated -1/1]
    m: str | None = None  # pending modifier ("very good")
    n: str | None = None  # pending negation ("not good")
    for (code, w, known), gap in zip(actives, gaps):
        if _RESET in gap:
            m = n = None
        elif _DROP_NEGATION in gap:
            n = None
        if code == _KNOWN:
            p, subj, i, adverb = known
            if m is None:
                a.append([p, subj, i, 1])
            else:
                last = a[-1]
                last[0] = max(-1.0, min(p * last[2], +1.0))
                last[1] = max(-1.0, min(subj * last[2], +1.0))
                last[2] = i
            if n is not None:
                last = a[-1]
                last[2] = 1.0 / last[2]
                last[3] = -1
            m = w if adverb else None
            n = w if w in negations else None
            continue
        if w in negations:
            n = w
        elif n and len(w.strip("'")) > 1:
            n = None
        if n is not None and m is not None and m.endswith("ly"):
            a[-1][3] = -1
            n = None
        elif m is not None and len(w) > 2:
            m = None
        if w == "!" and a:
            a[-1][0] = max(-1.0, min(a[-1][0] * 1.25, +1.0))
        if w == "(!)":
            a.append([0.0, 1.0, 1.0, 1])
        face = _pattern_emoticon(w, lx)
        if face is not None:
            a.append([face, 1.0, 1.0, 1])
    # Summed left to right from int 0, as the library's avg() does, so the
    # floats agree to the last bit.
    total_p = total_s = 0
    for p, subj, _i, negated in a:
        total_p += p * -0.5 if negated < 0 else p
        total_s += subj
    count = float(len(a) or 1)
    return total_p / count, total_s / count


def _pattern_library(text: str, lx: _Lexicons) -> tuple[float, float]:
    polarity, subjectivity = lx.p_library(text)
    return polarity, subjectivity


def _pattern_token(token: str, lx: _Lexicons) -> tuple[str, tuple[Any, ...], str]:
    """Codes, active kinds and pattern tokens of one whitespace token."""
    if (
        token[0] not in lx.p_lead
        and token[-1] not in lx.p_trail
        and lx.p_quotes.isdisjoint(token)
    ):
        # The common case, a bare word: one pattern token, nothing to split.
        kind = _pattern_kind(token, lx)
        codes = lx.p_heads.get(token[0], "") + kind[0]
        if _pattern_rewrites(token, lx):
            codes += _SELF_MARK
        codes += lx.p_tails.get(token[-1], "")
        return codes, (kind,) if kind[0] in _ACTIVE_CODES else (), token
    s = token
    if "'" in s:
        # find_tokens applies these with re.sub; the patterns are plain text,
        # and none spans whitespace, so doing it per token is the same.
        for old, new in lx.p_replacements:
            s = s.replace(old, new)
    s = (
        s.replace("“", " “ ")
        .replace("”", " ” ")
        .replace("‘", " ‘ ")
        .replace("’", " ’ ")
        .replace("'", " ' ")
        .replace('"', ' " ')
    )
    return _pattern_parts(s.split(), lx)


def _pattern_parts(parts: list[str], lx: _Lexicons) -> tuple[str, tuple[Any, ...], str]:
    codes: list[str] = []
    actives: list[Any] = []
    joined: list[str] = []
    for part in parts:
        pieces = _pattern_split(part, lx)
        kinds = [_pattern_kind(piece, lx) for piece in pieces]
        text = " ".join(pieces)
        # The split only moves characters between pieces, so the part's own
        # first and last characters are the ones next to its spaces.
        codes.append(lx.p_heads.get(part[0], ""))
        codes.extend(kind[0] for kind in kinds)
        if _pattern_rewrites(text, lx):
            codes.append(_SELF_MARK)
        codes.append(lx.p_tails.get(part[-1], ""))
        actives.extend(kind for kind in kinds if kind[0] in _ACTIVE_CODES)
        joined.append(text)
    return "".join(codes), tuple(actives), " ".join(joined)


def _pattern_rewrites(text: str, lx: _Lexicons) -> bool:
    """Would TextBlob rewrite an emoticon or "(!)" inside these tokens?"""
    if text.isalpha():
        # One plain word: only an all-letter emoticon ("xD") at its very end
        # can match, and no "(!)".
        return text.endswith(lx.p_letter_faces)
    return bool(lx.p_emoticon_re.search(text) or lx.p_sarcasm_re.search(text))


def _pattern_kind(token: str, lx: _Lexicons) -> tuple[str, str, Any]:
    w = token.lower()
    known = lx.p_lexicon.get(w)
    if known is not None:
        return _KNOWN, w, known
    if w in lx.p_negations or w in ("!", "(!)") or _pattern_emoticon(w, lx) is not None:
        return _OTHER, w, None
    # assessments() drops a pending negation after an unknown word longer than
    # one letter (quotes aside) and a pending modifier after one longer than
    # two. Nothing else can happen: a negation and an "-ly" modifier are never
    # both pending when a token starts (the rule that joins them fires at once).
    drops_negation = len(w.strip("'")) > 1
    drops_modifier = len(w) > 2
    if drops_negation and drops_modifier:
        return _RESET, w, None
    if drops_negation:
        return _DROP_NEGATION, w, None
    if not drops_modifier:
        return _NOOP, w, None
    return _OTHER, w, None


def _pattern_emoticon(w: str, lx: _Lexicons) -> float | None:
    # The library's guard, including `in` on the punctuation *string*.
    if not w.isalpha() and len(w) <= 5 and w not in lx.p_punct_string:
        return lx.p_emoticons.get(w)
    return None


def _pattern_split(t: str, lx: _Lexicons) -> list[str]:
    """Split punctuation off one whitespace-delimited token, as find_tokens does."""
    if t[0] not in lx.p_lead and t[-1] not in lx.p_trail:
        return [t]
    # The library also stops at a contraction key ("'s"), but by now every "'"
    # stands alone, so no token can be one.
    head: list[str] = []
    tail: list[str] = []
    while t.startswith(lx.p_punct):
        head.append(t[0])
        t = t[1:]
    while t.endswith(lx.p_punct_dot):
        if t.endswith(lx.p_punct):
            tail.append(t[-1])
            t = t[:-1]
        if t.endswith("..."):
            tail.append("...")
            t = t[:-3].rstrip(".")
        if t.endswith("."):
            if t in lx.p_abbreviations or any(r.match(t) for r in lx.p_abbr_res):
                break
            tail.append(t[-1])
            t = t[:-1]
    if t != "":
        head.append(t)
    head.extend(reversed(tail))
    return head


# --- VADER --------------------------------------------------------------------

# A word's VADER code: one letter, so that a sentence's codes form a string.
# Upper-case when the word is ALL CAPS (str.isupper), as allcap_differential
# counts them.
_V_PLAIN = "a"  # scores 0, and no rule looks at it
_V_SCORES = "s"  # in the lexicon (and no booster): gets a valence
_V_RULE = "x"  # a word some valence rule looks at: no, not, very, least, ...
_V_SCORES_RULE = "y"  # both ("no" is in the lexicon and a rule word)
_V_BUT = "b"  # "but": halves what comes before, boosts what follows
_V_EMOJI = "e"  # holds an emoji, which polarity_scores spells out first
_V_HITS = re.compile("[sSyY]")
_V_RULES = re.compile("[xXyY]")


def _vader_token(token: str, lx: _Lexicons) -> tuple[str, str, str]:
    """Word, lower-cased word and code of one whitespace token."""
    if not token.isascii() and not lx.v_emojis.isdisjoint(token):
        return token, token, _V_EMOJI
    # SentiText._strip_punc_if_word: a short leftover was an emoticon, keep it.
    stripped = token.strip(lx.v_punctuation)
    word = token if len(stripped) <= 2 else stripped
    lower = word.lower()
    # Boosters score 0 even where the lexicon has them too.
    scores = lower in lx.v_lexicon and lower not in lx.v_boosters
    rule = lower in lx.v_rule_words or "n't" in lower
    if lower == "but":
        code = _V_BUT
    elif scores:
        code = _V_SCORES_RULE if rule else _V_SCORES
    else:
        code = _V_RULE if rule else _V_PLAIN
    return word, lower, code.upper() if word.isupper() else code


def _vader_compound(text: str, tokens: list[_Token], lx: _Lexicons) -> float:
    """SentimentIntensityAnalyzer().polarity_scores(text)["compound"]."""
    codes = "".join(map(_v_code, tokens))
    if _V_EMOJI in codes:
        text = _vader_replace_emojis(text, lx)
        tokens = _tokens(text.split(), lx)
        codes = "".join(map(_v_code, tokens))
    if not _V_HITS.search(codes):
        return 0.0  # every word scores 0, or there are none: compound is 0.0
    # allcap_differential: some words are ALL CAPS, but not all of them.
    cap_diff = not codes.isupper() and not codes.islower()
    lexicon = lx.v_lexicon
    lowers: list[str] = []  # built when a rule needs the neighbours
    valences: list[float] = []
    for hit in _V_HITS.finditer(codes):
        i = hit.start()
        if (cap_diff and codes[i].isupper()) or _V_RULES.search(codes, max(i - 3, 0), i + 3):
            lowers = lowers or list(map(_v_lower, tokens))
            valences.append(_vader_valence(i, tokens, lowers, cap_diff, lx))
        else:
            # No rule word within the reach of any rule (three words back,
            # two ahead): sentiment_valence returns the lexicon's valence.
            valences.append(lexicon[tokens[i][4]])
    if _V_BUT in codes or _V_BUT.upper() in codes:
        sentiments: list[float] = [0] * len(codes)
        for hit, valence in zip(_V_HITS.finditer(codes), valences):
            sentiments[hit.start()] = valence
        lowers = lowers or list(map(_v_lower, tokens))
        total = float(sum(lx.v_analyzer._but_check(lowers, sentiments)))
    else:
        # The words that score 0 add nothing to the library's sum.
        total = float(sum(valences))
    if total:
        # _punctuation_emphasis, which only matters for a non-zero sum
        emphasis = min(text.count("!"), 4) * 0.292
        questions = text.count("?")
        if questions > 1:
            emphasis += questions * 0.18 if questions <= 3 else 0.96
        total = total + emphasis if total > 0 else total - emphasis
    # vaderSentiment.normalize(total), alpha 15, written out: a call costs
    # more than the arithmetic
    score = total / math.sqrt(total * total + 15)
    return round(-1.0 if score < -1.0 else 1.0 if score > 1.0 else score, 4)


def _vader_replace_emojis(text: str, lx: _Lexicons) -> str:
    # As in polarity_scores: each emoji becomes its description.
    emojis = lx.v_analyzer.emojis
    out = ""
    prev_space = True
    for ch in text:
        if ch in emojis:
            if not prev_space:
                out += " "
            out += emojis[ch]
            prev_space = False
        else:
            out += ch
            prev_space = ch == " "
    return out.strip()


def _vader_valence(
    i: int, tokens: list[_Token], lowers: list[str], cap_diff: bool, lx: _Lexicons
) -> float:
    """SentimentIntensityAnalyzer.sentiment_valence (with "kind of") for a hit.

    The library's _negation_check, _special_idioms_check and _least_check
    lower-case the whole sentence on every call; these work on `lowers`.
    """
    lexicon, boosters, n_scalar = lx.v_lexicon, lx.v_boosters, lx.v_n_scalar
    lw = lowers[i]
    if lw == "kind" and i < len(lowers) - 1 and lowers[i + 1] == "of":
        return 0
    valence = lexicon[lw]
    if lw == "no" and i != len(lowers) - 1 and lowers[i + 1] in lexicon:
        valence = 0.0
    if (
        (i > 0 and lowers[i - 1] == "no")
        or (i > 1 and lowers[i - 2] == "no")
        or (i > 2 and lowers[i - 3] == "no" and lowers[i - 1] in ("or", "nor"))
    ):
        valence = lexicon[lw] * n_scalar
    if cap_diff and tokens[i][3].isupper():
        if valence > 0:
            valence += lx.v_c_incr
        else:
            valence -= lx.v_c_incr
    for start_i in range(3):
        if i <= start_i:
            break
        before = lowers[i - (start_i + 1)]
        if before in lexicon:
            continue
        s = 0.0  # what scalar_inc_dec returns for a word that is no booster
        if before in boosters:
            s = lx.v_scalar_inc_dec(tokens[i - (start_i + 1)][3], valence, cap_diff)
        if start_i == 1 and s != 0:
            s = s * 0.95
        if start_i == 2 and s != 0:
            s = s * 0.9
        valence = valence + s
        # _negation_check
        if start_i == 0:
            if _vader_negated(lowers[i - 1], lx):
                valence = valence * n_scalar
        elif start_i == 1:
            if lowers[i - 2] == "never" and lowers[i - 1] in ("so", "this"):
                valence = valence * 1.25
            elif lowers[i - 2] == "without" and lowers[i - 1] == "doubt":
                pass
            elif _vader_negated(lowers[i - 2], lx):
                valence = valence * n_scalar
        else:
            # The library's precedence: "so" or "this" right before the word
            # boosts even without "never".
            if (lowers[i - 3] == "never" and lowers[i - 2] in ("so", "this")) or lowers[
                i - 1
            ] in ("so", "this"):
                valence = valence * 1.25
            elif lowers[i - 3] == "without" and "doubt" in (lowers[i - 2], lowers[i - 1]):
                pass
            elif _vader_negated(lowers[i - 3], lx):
                valence = valence * n_scalar
            valence = _vader_idioms(valence, lowers, i, lx)
    # _least_check
    if i > 1 and lowers[i - 1] not in lexicon and lowers[i - 1] == "least":
        if lowers[i - 2] != "at" and lowers[i - 2] != "very":
            valence = valence * n_scalar
    elif i > 0 and lowers[i - 1] not in lexicon and lowers[i - 1] == "least":
        valence = valence * n_scalar
    return valence


def _vader_negated(word: str, lx: _Lexicons) -> bool:
    # vaderSentiment.negated() for a single lower-cased word.
    return word in lx.v_negate or "n't" in word


def _vader_idioms(valence: float, lowers: list[str], i: int, lx: _Lexicons) -> float:
    """SentimentIntensityAnalyzer._special_idioms_check, on lower-cased words."""
    special, boosters = lx.v_special_cases, lx.v_boosters
    w3, w2, w1, w0 = lowers[i - 3], lowers[i - 2], lowers[i - 1], lowers[i]
    for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", f"{w2} {w1}", f"{w3} {w2} {w1}", f"{w3} {w2}"):
        if seq in special:
            valence = special[seq]
            break
    if len(lowers) - 1 > i:
        seq = f"{w0} {lowers[i + 1]}"
        if seq in special:
            valence = special[seq]
    if len(lowers) - 1 > i + 1:
        seq = f"{w0} {lowers[i + 1]} {lowers[i + 2]}"
        if seq in special:
            valence = special[seq]
    for seq in (f"{w3} {w2} {w1}", f"{w3} {w2}", f"{w2} {w1}"):
        if seq in boosters:
            valence = valence + boosters[seq]
    return valence

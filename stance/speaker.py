"""Whose voice is a sentence: the author's, or someone the author quotes?

    >>> speaker("Zhang further emphasizes that strengthening bilateral economic and "
    ...         "trade cooperation aligns with the fundamental interests of the people.")
    Speaker(voice='quoted', name='Zhang', cue='emphasizes')
    >>> speaker('"A transatlantic agenda on China will likely narrow in scope but remains '
    ...         'crucial" says **Grzegorz Stec**, Head of the MERICS Brussels office.')
    Speaker(voice='quoted', name='Grzegorz Stec', cue='says')
    >>> speaker('In my book "Can We Trust China?", I argue that Brussels will likely '
    ...         'prioritize saving jobs.')
    Speaker(voice='author', name=None, cue='first person')

Rules, in order (regular expressions only, no model, no network):

1. The author writing in the first person outside quotation marks ("I argue",
   "we should", "I agree with Robin Zheng that") is the author's voice.
2. A reporting verb (says, said, emphasizes, warned, added, told, claimed,
   urged, called for, pointed out, believes, according to, ...) with a speaker
   makes the sentence quoted: before the verb ("Zhang further emphasizes",
   "..., the spokesman Zhu Fenglian said"), after it ('..." says **Grzegorz
   Stec**') or, for a participle ("..., arguing that", "..., noting that"),
   the clause's subject. A verb of judging (deemed, labelled, hailed,
   "calling it") quotes only when quoted words follow it, up to twenty words
   on ('deemed it “totally insufficient”'); "admit", "forecast", "tweeted",
   "found" and "confirmed" only with the "that" of what was said or found.
   A speaker is a name, an organisation, a role ("the spokesman", "UN
   experts") or he/she/they; "which", "the number" or a whole clause is not,
   so "OpenAI, which has since accused DeepSeek" stays the author's.
   "In Allen's view,", "In the words of one diplomat," (also after a
   quotation: '"Chip War," in the words of Chris Miller'), "In the White
   House's own words," and "as Trump put it" attribute too;
   "announced"/"wrote" only with a "that" ("announced on Thursday that",
   "wrote in a post on X that"); "according to" official data, figures, a
   law or a plan cites, it does not quote.
3. A sentence mostly inside quotation marks (“...”, "...", ''...'', «...»
   or 「...」; spans of under four words are scare quotes or titles and do
   not count, unless the quotation is the whole sentence: “Never.”), or one that
   continues a quotation left open by the previous sentence (or closes one
   it did not open), is quoted; a closing "– Xi Jinping" names the speaker.
4. Anything else is the author's.

The name prefers a person ("Ding Xuexiang" out of "Chinese vice-premier Ding
Xuexiang", "Gina Raimondo" out of "Secretary of Commerce Gina Raimondo",
"Yan Xuetong" out of "Yan Xuetong of Tsinghua University", "Ursula von der
Leyen" whole; markdown bold, as in "MERICS Analyst, **Alexander Davey**", wins),
else the organisation or role as written without its article ("European
Commission", "state media"); a role "for" an organisation reads
"Taiwan Affairs Office spokesman". A pronoun gives no name.

``speaker(text, previous)`` sees one sentence back. ``speakers(texts)`` reads a
whole document in order, so a quotation that runs over many sentences stays
quoted to its end, and a quotation's sentences share the name given by its
attribution ('"...," says X' names the sentences before and after it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

__all__ = ["Speaker", "speaker", "speakers"]

AUTHOR = "author"
QUOTED = "quoted"


@dataclass(frozen=True, slots=True)
class Speaker:
    """voice: "author" or "quoted"; name: the quoted speaker when the sentence
    names one; cue: what gave the voice away ("says", "according to",
    "quotation", "continued quotation", "first person"), None for plain prose."""

    voice: str
    name: str | None = None
    cue: str | None = None


_PLAIN = Speaker(AUTHOR)


def speaker(text: str, previous: str | None = None) -> Speaker:
    """The voice of `text`; `previous` is the sentence before it, if any."""
    if not isinstance(text, str):
        raise TypeError(f"speaker() expects a str, got {type(text).__name__}")
    text, previous = _without_markup(text), _without_markup(previous) if previous else previous
    before = _analyse(previous, False) if previous and _has_quote(previous) else None
    found = _analyse(text, before.open_after if before else False)
    if before is not None:
        return _inherit(found, before.speaker)
    return found.speaker


def speakers(texts: Iterable[str], paragraphs: Iterable[int] | None = None) -> list[Speaker]:
    """The voice of each sentence of one document, given in reading order.

    ``paragraphs``: each sentence's paragraph number, if known. A quotation
    left open at the end of a paragraph ends there unless the next paragraph
    closes it, so a quotation mark that never closes does not make the rest of
    the document quoted."""
    if isinstance(texts, str):
        raise TypeError("speakers() expects an iterable of sentences, got a single str")
    texts = [_without_markup(t) for t in texts]
    paras = list(paragraphs) if paragraphs is not None else None
    if paras is not None and len(paras) != len(texts):
        raise ValueError(f"speakers() got {len(texts)} sentences but {len(paras)} paragraph numbers")
    found: list[_Found] = []
    open_quote = False
    for i, text in enumerate(texts):
        if open_quote and paras is not None and i and paras[i] != paras[i - 1]:
            open_quote = _closed_later(texts, paras, i)
        f = _analyse(text, open_quote)
        found.append(f)
        open_quote = f.open_after
    result = [f.speaker for f in found]
    for i in range(len(result) - 2, -1, -1):
        # '"Measures take a while ...," says **Rebecca Arcesati**' names the
        # sentence that opened the quotation, too: the attribution inside a
        # quotation wins over the speaker of the sentence before it.
        if found[i].open_after and found[i + 1].starts_inside:
            result[i] = _name_from(result[i], result[i + 1])
    for i in range(1, len(result)):
        # A quotation that runs on from the sentence before shares its
        # speaker; so does a bare quotation right after an attributed one.
        result[i] = _inherit_found(found[i], result[i], result[i - 1])
    return result


def _closed_later(texts: list[str], paras: list[int], i: int) -> bool:
    """Whether the paragraph starting at sentence `i` closes a quotation open
    before it: its first quotation mark is a closing one."""
    for j in range(i, len(texts)):
        if paras[j] != paras[i]:
            return False
        if _has_quote(texts[j]):
            return _analyse(texts[j], False).starts_inside
    return False


# Markup a .md file or text pasted from a web page holds around a name, which is no part of it:
# a link's text stays ("[Gina Raimondo](https://...)"), footnote and citation marks ("[^3]",
# "[12]"), HTML tags and single-mark emphasis ("_Gina Raimondo_", "*...*") go, and entities
# ("&nbsp;", "&rdquo;") are the characters they stand for. Bold ("**Alexander Brown**") stays:
# it marks the speaker.
_MARKUP = re.compile(
    r"!?\[([^\]\n]*)\]\([^)\s]*\)"
    r"|\[\^[^\]\s]*\]|\[\d{1,3}\]"
    r"|</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>"
    r"|(?<![\w*])[*_](?=[^\s*_])|(?<=[^\s*_])[*_](?![\w*])"
    r"|&(?:[A-Za-z]+|#\d+|#[xX][0-9A-Fa-f]+);"
)


def _without_markup(text: str) -> str:
    if "''" in text:  # two apostrophes for a quotation mark, as typewritten text has it; ``...'' opens and closes
        text = text.replace("``", "“").replace("''", "”") if "``" in text else text.replace("''", '"')
    if "[" not in text and "<" not in text and "&" not in text and "_" not in text and "*" not in text:
        return text  # most sentences: one scan each, no regex
    return _MARKUP.sub(_unmarked, text)


def _unmarked(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return m.group(1)
    return html.unescape(m.group()) if m.group().startswith("&") else ""


# --- Analysis of one sentence ------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    speaker: Speaker
    open_after: bool  # a quotation is still open at the end of the sentence
    starts_inside: bool  # the sentence begins inside a quotation
    bare_quote: bool  # quoted only because of its quotation marks


def _inherit(found: _Found, before: Speaker) -> Speaker:
    return _inherit_found(found, found.speaker, before)


def _inherit_found(found: _Found, current: Speaker, before: Speaker) -> Speaker:
    if found.bare_quote and current.name is None and before.voice == QUOTED and before.name:
        return replace(current, name=before.name)
    return current


def _name_from(current: Speaker, later: Speaker) -> Speaker:
    if current.voice == QUOTED and current.name is None and later.voice == QUOTED and later.name:
        return replace(current, name=later.name)
    return current


_QUOTE_CHARS = '"“”«»「」『』'
_QUOTE = re.compile('["“”«»「」『』]')
_OPENERS = "“«「『"
_CLOSERS = "”»」』"
_TERMINAL = ".!?…。！？"
_HOLE = " \ue000 "  # stands for a quotation in the text outside quotation marks

_FIRST_PERSON_WORDS = "I me my myself we We us our Our ours ourselves My".split()
_FIRST_PERSON = re.compile(r"\b(?:" + "|".join(_FIRST_PERSON_WORDS) + r")\b")

_VERBS = (
    "say says said stated states noted notes argued argues argue emphasized emphasizes "
    "emphasize emphasised emphasises highlighted highlights highlight stressed stresses "
    "warned warns warn added adds told tells claimed claims claim accused accuses urged "
    "urges urge believes believed believe concluded concludes conclude suggested suggests "
    "suggest observed observes mentioned mentions insisted insists explained explains "
    "demanded demands reported reports asserted asserts predicted predicts cautioned "
    "cautions acknowledged acknowledges remarked remarks described describes voiced "
    "characterized characterised"
).split()
_PHRASES = [
    "according to", "According to", "called for", "calls for", "call for", "called on", "calls on", "pointed out",
    "points out", "point out", "introduced that", "revealed that", "revealed how", "proposed that",
]
_PARTICIPLES = [  # their speaker is their clause's subject; "calling", "tweeting", "recommending" need more (``_NEEDS``)
    "saying", "arguing", "claiming", "accusing", "urging", "warning", "stressing",
    "insisting", "adding", "calling for", "noting", "emphasizing", "emphasising", "asserting",
    "declaring", "cautioning", "describing", "calling", "tweeting", "recommending",
]


def _cue_patterns() -> dict[str, re.Pattern[str]]:
    """First word of a cue -> the cues it can begin, longest first."""
    by_first: dict[str, list[str]] = {}
    for cue in _VERBS + _PHRASES + _PARTICIPLES:
        by_first.setdefault(cue.split()[0], []).append(cue)
    return {
        first: re.compile(
            r"\b(?:" + "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True)) + r")\b"
        )
        for first, cues in by_first.items()
    }


# Verbs that report speech only with what follows them, and what that is (a regex that follows
# the verb): every other use of the word is the author's. One table, one loop.
_QUOTED_SOON = r"(?=(?:\s+[^\s\ue000]+){0,20}?\s*\ue000)"  # quoted words (the hole for them) up to 20 words on
_SAID_OR_ENDS = r"(?=(?:\s+(?:in private|in public|privately|publicly))?\s+that\b|\s*[,.:;\ue000\"“”]|\s*$)"
_NEEDS: list[tuple[tuple[str, ...], str]] = [
    # "The Ministry of Commerce announced on Thursday that ...", "wrote in a post on X that":
    # announcing or writing, with the "that" of what was announced or written
    (("announced", "announces", "declared", "declares", "wrote", "writes"),
     r"(?:\s+(?:today|yesterday|recently|publicly|officially))?"
     r"(?:\s+(?:on|in|last|this|earlier|late)\s+[\w-]+(?:\s+\d{1,2},?)?(?:\s+\d{4})?)?"
     r"(?:\s+in\s+(?:a|an|his|her|its|their|the)\s+[\w-]+(?:\s+(?:on|to)\s+[\w.-]+)?)?\s+that\b"),
    # "Dick Roche asked what sense it made": asking, with the question it asked
    (("asked", "asks", "wondered", "wonders"), r"\s+(?:whether|why|what|how|if)\b"),
    # "Zhu added that ...", '"...," he added.', "concede in private that": adding, maintaining, conceding,
    # contending and stating words, not "The U.S. added firms to the list", "adding to the surplus",
    # "maintains a ban", "contend with" or "the Baltic states and"
    (("added", "adds", "adding", "maintained", "maintains", "maintain", "conceded", "concedes", "concede",
      "contended", "contends", "contend", "states"), _SAID_OR_ENDS),
    # "He forecasts that ...", "Chinese firms openly admit that ...", "tweeting that", "a report recommending
    # that", "the survey found that", "the ministry confirmed that": not "forecasts of growth", "admitted to
    # the WTO", "tweeted a photo", "found a buyer" or "tests confirmed the results"
    (("forecast", "forecasts", "forecasted", "admit", "admits", "admitted", "tweeted", "tweets", "tweeting",
      "recommending", "found", "finds", "find", "confirmed", "confirms", "confirm"), r"\s+that\b"),
    # "Regulators deemed it “totally insufficient”", "Scholz labelled the tariffs “illegal customs barriers”":
    # judging in words, when the words follow in quotation marks
    (("deemed", "deems", "labelled", "labeled", "labels", "branded", "brands", "lauded", "lauds", "hailed", "hails"),
     _QUOTED_SOON),
    # "calling the deal “a mistake”", "calling for": not "a start-up called “Moonshot”", which names a thing
    (("calling",), rf"(?:\s+for\b|{_QUOTED_SOON})"),
    # "Beijing replied that ...", '... , the ministry responded.': not "China responded angrily"
    (("replied", "replies", "responded", "responds"), r"(?=\s+(?:that|by saying)\b|\s*[,.:;\ue000\"“”]|\s*$)"),
    # "Had DeepSeek been able to, he continued, it would have": going on speaking, as an aside
    (("continued",), r"(?=,)"),
    # "European officials informed CSIS that ...": informing, with the "that" of what was said
    (("informed", "informs", "assured", "assures", "reminded", "reminds"), r"\s+(?:[\w.’'-]+\s+){1,4}?that\b"),
]
_CUES = _cue_patterns()
for _verbs, _follows in _NEEDS:
    for _verb in _verbs:
        _CUES[_verb] = re.compile(rf"\b{_verb}{_follows}")
# "In Allen's view, ...", "In the words of one European diplomat, ...", "as Trump put it"
# Each is matched against one clause, cut at commas, colons and semicolons.
_VIEW = re.compile(
    r"(?:(?:But|And|Yet)\s+)?[Ii]n\s+(?:the\s+(?:view|words|opinion)\s+of\s+(?P<of>.+)"
    r"|(?P<own>\S.*?)(?P<poss>[’']s?)?\s+(?:own\s+)?(?:view|words|opinion|account|assessment|telling))"
)
_PUT_IT = re.compile(r"(?:[Jj]ust\s+)?[Aa]s\s+(?P<who>.+?)\s+(?:put|puts|once put|has put)\s+it\W*")
_CLAUSES = re.compile(r"[,;:\ue000]")  # a quotation ends a clause too: '"Chip War," in the words of'
_POSSESSIVE_PRONOUNS = frozenset("his her their its His Her Their Its".split())
_VIEW_WORDS = frozenset(("view", "words", "opinion", "account", "assessment", "telling", "put", "puts"))
# "Analysts around the world say", "Officials in Brussels said": the role, then where it is
_PLACED = re.compile(r"^(.+?)\s+(?:around|across|in|at|from|within|inside|outside|throughout)\s+\S.*$")
# "Sources familiar with the matter said": the source is "Sources"
_FAMILIAR = re.compile(r"\s+(?:familiar with|with (?:direct )?knowledge of|briefed on|close to)\b.*$")
# "according to official data": a figure or a rule, not a speaker
_NOT_SOURCES = frozenset(
    "data figures statistics numbers rules rule regulation regulations law article plan "
    "schedule timetable".split()
)
_SOURCE_END = re.compile(r"\s(?:from|of|by|released|published|issued|compiled|in|on|for)\s")


def _trigger_forms() -> dict[str, str]:
    """Whitespace tokens that hold a cue's first word or a first-person word -> that word.

    Finding them is one set intersection with str.split(), far cheaper than a
    regular expression over every sentence, most of which have none."""
    forms: dict[str, str] = {}
    trails = ["", ",", ".", ":", ";", "!", "?", ")", "**", "),", ").", "**,", "**:", "**."]
    for word in [*_CUES, *_FIRST_PERSON_WORDS]:
        for lead in ("", "(", "**"):
            for trail in trails:
                forms[lead + word + trail] = word
    for word in ("view", "words", "opinion", "account", "assessment", "telling"):
        forms[word + ","] = forms[word] = word  # "In Allen's view, ...", "In the words of"
    for word in ("put", "puts"):
        forms[word] = word  # "as Trump put it"
    for pronoun in ("I", "we", "We"):
        for apostrophe in ("’", "'"):
            for tail in ("m", "ve", "d", "ll", "re"):
                forms[f"{pronoun}{apostrophe}{tail}"] = pronoun
    return forms


_TRIGGER_FORMS = _trigger_forms()
_TRIGGER_KEYS = _TRIGGER_FORMS.keys()
_FIRST_PERSON_SET = frozenset(_FIRST_PERSON_WORDS)

# Words that may sit between a speaker and the verb ("Zhang further emphasizes").
_BETWEEN = frozenset(
    "has have had also further since already again then later once previously "
    "recently publicly repeatedly reportedly sternly just rather has since would will "
    "had earlier today yesterday long often likewise".split()
)
# A time, which is no part of a speaker: between the speaker and the verb ("11 US senators on Monday
# called on", "Beijing last week said") or opening the clause ("Last week the US president said",
# "Earlier this month the ministry said", "On Monday the ministry said").
_WHEN = (r"(?:on\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
         r"|(?:(?:earlier|later|early)\s+)?(?:this|last|next|earlier|later|early)\s+"
         r"(?:week|weekend|month|year|spring|summer|autumn|fall|winter|night|morning|time))")
_WHEN_BEFORE = re.compile(rf"\s+{_WHEN}$", re.IGNORECASE)
_WHEN_OPENING = re.compile(rf"{_WHEN},?\s+(?=\S)", re.IGNORECASE)
_PRONOUNS = frozenset("he she they He She They".split())
_NOT_SPEAKERS = frozenset(  # compared in lower case: "What Xi said in Davos"
    "which who whom whose that what where when it this these those there it’s it's".split()
)
_IDIOMS = frozenset("Having All Nobody None".split())
_LEADING = frozenset(
    "As The A An the a an However But And Yet Now So Also Then Meanwhile Still Indeed "
    "Moreover Furthermore Instead Thus Here There While Although Though If When".split()
)
_ROLES = frozenset(
    """spokesman spokeswoman spokesperson spokespeople official officials minister ministry
    president premier analyst analysts expert experts researcher researchers scientist
    scientists economist economists agency government authorities authority insiders media
    observers critics sources source commission office department company firm leader leaders
    diplomat diplomats side report statement newspaper newspapers survey study paper
    regulator ministers lawmakers executives executive chairman ceo director professor
    spokespersons people residents group think-tank watchdog companies firms person editor
    editors commentator commentators columnist columnists scholar scholars academic academics
    engineer engineers developers economist regulators senators politicians legislators
    negotiators""".split()
)
_TITLES = frozenset(
    """President Premier Vice Prime Minister Secretary General Spokesperson Spokesman
    Spokeswoman Chairman Chairwoman Chair Director Head Chief Senior Lead Analyst Economist
    Professor Prof Dr Mr Mrs Ms Sir Dame Former Deputy Foreign Executive Officer CEO CTO CFO
    Founder Ambassador Governor Senator Representative Commissioner Chancellor Editor
    Correspondent Researcher Fellow Expert Managing Principal Party State Council Adviser Advisor
    Speaker Leader Envoy Vice-President Vice-Premier Vice-Chairman Secretary-General""".split()
)
_CONNECTORS = frozenset("of for & de van von der du la al and".split())
# The particles of a person's name: "Ursula von der Leyen", "von der Leyen".
_PARTICLES = frozenset("von van der den de du la le al bin di da dos del ten ter".split())
# Words of an office or an organisation's name, which a person's name follows
# ("Secretary of Commerce Gina Raimondo") but is never part of.
_OFFICE = frozenset(
    """Affairs Commerce Defense Defence Treasury Trade Finance Industry Security Justice
    Interior Energy Agriculture Health Education Technology Science State Ministry
    Department Office Bureau Commission Council Committee Agency Administration House
    Bank Union Institute University Academy Center Centre Group Association Government
    Republic States Kingdom Nations Parliament Congress Senate Court Times Post Daily
    News Party Army Forum Chamber Federation Organization Organisation Foundation Society
    Authority Corporation Company""".split()
)
_NOT_NAMES = frozenset(
    """January February March April May June July August September October November December
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()
)
_BOUNDARY = re.compile(r"[,:;()\ue000–—]|\s(?:that|and|but|while|because|as|if)\s")
_CLAUSE_SPLIT = re.compile(r"[,:;()\ue000–—]")
_BOLD = re.compile(r"\*\*([^*]+?)\*\*")
_DASH_NAME = re.compile(r"^[\s,]*[–—-]+\s*([A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,4}?)\s*\.?\s*$")
_POSSESSIVE = re.compile(r"[’']s$")
_ACRONYM_ASIDE = re.compile(r"^\([A-Z][A-Za-z&.-]*\),?$")  # "the Bureau of Industry and Security (BIS)"
_AND_IN_NAME = re.compile(r"\b([A-Z][\w’'.-]*) and (?=[A-Z])")  # "Ministry of Industry and Information Technology"
_GLUE = "\ue001"
_ROLE_OF = re.compile(
    r"^(?:(?:[Aa]|[Aa]n|[Tt]he)\s+)?(?P<role>[a-z-]+(?:\s[a-z-]+)?)\s+(?:for|of|at)\s+(?:the\s+)?"
    r"(?:[A-Z][\w-]*[’']s\s+)?(?P<org>[A-Z][\w&’'.-]*(?:\s+(?:[A-Z][\w&’'.-]*|of|for|and|&))*)$"
)


def _has_quote(text: str) -> bool:
    return _QUOTE.search(text) is not None


_PLAIN_FOUND = _Found(_PLAIN, False, False, False)
_FIRST_PERSON_FOUND = _Found(Speaker(AUTHOR, None, "first person"), False, False, False)


@lru_cache(maxsize=4096)
def _analyse(text: str, inside: bool) -> _Found:
    """The voice of one sentence; `inside`: a quotation is open when it starts."""
    if not inside and not _has_quote(text):
        triggers = _TRIGGER_KEYS & text.split()
        if not triggers:
            return _PLAIN_FOUND  # the common case: plain prose
        words = {_TRIGGER_FORMS[t] for t in triggers}
        if not _FIRST_PERSON_SET.isdisjoint(words):
            return _FIRST_PERSON_FOUND
        attributed = _attribution(text, words)
        return _Found(attributed, False, False, False) if attributed else _PLAIN_FOUND
    spans, open_after, starts_inside = _quote_spans(text, inside)
    outside = _outside(text, spans)
    words = {_TRIGGER_FORMS[t] for t in _TRIGGER_KEYS & outside.split()}
    if not _FIRST_PERSON_SET.isdisjoint(words) and _FIRST_PERSON.search(outside):
        return _Found(_FIRST_PERSON_FOUND.speaker, open_after, starts_inside, False)
    attributed = _attribution(outside, words) if words else None
    if attributed is not None:
        return _Found(attributed, open_after, starts_inside, False)
    total = len(text.split())
    inside_words = sum(
        len(text[a:b].split()) for a, b in spans if len(text[a:b].split()) >= 4 and not _is_title(text[a:b])
    )
    if inside_words < total and _whole_sentence_quoted(text, spans, open_after):
        inside_words = total  # “We will respond.” is a quotation, however short
    if starts_inside and spans and spans[0][0] == 0:
        # Continuing a quotation: even a short tail ("... the future.”) counts.
        inside_words = max(inside_words, len(text[: spans[0][1]].split()))
    if total and inside_words / total >= 0.5:
        name = None
        if spans and spans[-1][1] < len(text):
            dash = _DASH_NAME.match(text[spans[-1][1] + 1 :])
            name = dash.group(1).rstrip(".") if dash else None
        cue = "continued quotation" if starts_inside else "quotation"
        return _Found(Speaker(QUOTED, name, cue), open_after, starts_inside, True)
    return _Found(_PLAIN, open_after, starts_inside, False)


def _quote_spans(text: str, inside: bool) -> tuple[list[tuple[int, int]], bool, bool]:
    """Quoted character spans, whether one is open at the end, and at the start."""
    spans: list[tuple[int, int]] = []
    start = 0 if inside else -1
    starts_inside = inside
    first = True
    for m in _QUOTE.finditer(text):
        i, q = m.start(), m.group()
        if q in _OPENERS:
            if start < 0:
                start = i + 1
        elif q in _CLOSERS:
            if start >= 0:
                spans.append((start, i))
                start = -1
            elif first:
                # A closing mark with no opening one: the quotation began in
                # an earlier sentence.
                spans.append((0, i))
                starts_inside = True
        else:  # a straight quote opens or closes depending on where it stands
            opens = (i == 0 or text[i - 1].isspace() or text[i - 1] in "(*") and not _ends_word(text, i + 1)
            if start >= 0:
                if not opens:
                    spans.append((start, i))
                    start = -1
                # else a quotation that runs over paragraphs opens each one again
            elif i > 0 and text[i - 1].isdigit() and _inch_mark(text, i):
                pass  # an inch mark, '12" wafers', opens nothing
            elif first and i > 0 and not text[i - 1].isspace() and _ends_word(text, i + 1):
                spans.append((0, i))
                starts_inside = True
            else:
                start = i + 1
        first = False
    open_after = start >= 0
    if open_after:
        spans.append((start, len(text)))
    return spans, open_after, starts_inside


# Words that follow the end of a quotation, never an inch mark: 'by 2025" the minister said'
_AFTER_A_QUOTATION = frozenset("the a an he she they it we i".split())


def _inch_mark(text: str, i: int) -> bool:
    """The straight quote at ``i``, after a digit, is an inch mark ('12" wafers'): a lower-case
    word follows it that does not begin an attribution."""
    if not text[i + 1 : i + 3].strip()[:1].islower():
        return False
    word = text[i + 1 :].split(maxsplit=1)[0].strip(",.;:")
    return word not in _AFTER_A_QUOTATION and word not in _TRIGGER_KEYS


def _is_title(span: str) -> bool:
    """Words in title case are a title, not a quotation: "Running Out of Road: China Pathfinder 2024"."""
    long = [w for w in span.split() if len(w) > 3 and w[:1].isalpha()]
    return bool(long) and all(w[:1].isupper() for w in long) and span.rstrip()[-1:] not in _TERMINAL


def _whole_sentence_quoted(text: str, spans: list[tuple[int, int]], open_after: bool) -> bool:
    """One quotation holds the whole sentence and is a sentence, not a title:
    it ends in a full stop ('“We will respond.”') or runs on ('"We will respond.')."""
    if len(spans) != 1:
        return False
    a, b = spans[0]
    if text[:a].strip(_QUOTE_CHARS + " *") or text[b + 1 :].strip(_QUOTE_CHARS + " *"):
        return False
    return open_after or text[a:b].rstrip()[-1:] in _TERMINAL


def _ends_word(text: str, j: int) -> bool:
    return j >= len(text) or text[j].isspace() or text[j] in ",.;:!?)"


def _outside(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts = []
    last = 0
    for a, b in spans:
        parts.append(text[last:a].rstrip(_QUOTE_CHARS))
        parts.append(_HOLE)
        last = b + 1
    parts.append(text[last:])
    return "".join(parts)


# --- Attribution ---------------------------------------------------------------


def _attribution(outside: str, words: set[str]) -> Speaker | None:
    """The reporting cue with a speaker, if any; `words`: cue words seen in `outside`."""
    viewed = _in_view(outside) if not _VIEW_WORDS.isdisjoint(words) else None
    if viewed is not None and viewed.name is not None:
        return viewed
    found = [m for w in words if w in _CUES for m in _CUES[w].finditer(outside)]
    for m in sorted(found, key=lambda m: m.start()):
        cue = m.group()
        if cue in ("according to", "According to"):
            source = _CLAUSE_SPLIT.split(outside[m.end() :], 1)[0].strip(" .")
            if source and not _is_data(source):
                return Speaker(QUOTED, _source_name(source), "according to")
            continue
        if " " in cue and cue.endswith(" that") and cue.split()[0] in _CUES:
            cue = cue.split()[0]  # "announced on Thursday that" -> "announced"
        if cue in ("said", "says") and outside.startswith((" to be ", " to have "), m.end()):
            continue  # "Huawei said to be building three fabs": a rumour, not a speaker
        if cue in _PARTICIPLES:
            who = _clause_subject(outside[: m.start()])
        else:
            who = _subject_before(outside[: m.start()])
            if who is None and _starts_clause(outside[: m.start()]):
                who = _subject_after(outside[m.end() :])
        if who is not None:
            return Speaker(QUOTED, who[0], cue)
    return viewed  # "In his view, ..." names no one: a verb's speaker ("In its assessment, the IMF said") wins


def _in_view(outside: str) -> Speaker | None:
    """ "In Allen's view, ...", "In the words of one diplomat, ...", "as Trump put it"."""
    for clause in _CLAUSES.split(outside):
        clause = clause.strip()
        m = _VIEW.fullmatch(clause) if clause[:3] in ("In ", "in ", "But", "And", "Yet") else None
        if m and m.group("own") is not None and not m.group("poss") and m.group("own").strip() not in _POSSESSIVE_PRONOUNS:
            m = None  # someone's view is theirs ("In Allen's view", "In her view"): "In the official account" names no one
        if m:
            who, cue = m.group("of") or m.group("own"), "in the view of"
            break
        m = _PUT_IT.fullmatch(clause) if " it" in clause else None
        if m:
            who, cue = m.group("who"), "put it"
            break
    else:
        return None
    who = who.strip()
    if who in _POSSESSIVE_PRONOUNS:
        return Speaker(QUOTED, None, cue)
    words = who.split()
    while words and words[0].lower() in ("one", "a", "an", "the", "many", "some"):
        words = words[1:]
    found = _speaker_chunk(" ".join(words)) if words else None
    return Speaker(QUOTED, found[0], cue) if found is not None else None


def _is_data(source: str) -> bool:
    """ "official data", "figures from the statistics bureau", "Article 3 of the law"."""
    head = _SOURCE_END.split(" " + source + " ", 1)[0].split()
    words = [w for w in head if w[:1].isalpha()]
    return bool(words) and words[-1].lower() in _NOT_SOURCES


def _source_name(source: str) -> str | None:
    """The name of what "according to" cites; "Chinese officials" whole."""
    words = source.split()
    for i, w in enumerate(words):
        if w[:1].islower():
            if i and w.lower() in _ROLES:
                if i + 1 < len(words) and words[i + 1][:1].isupper():
                    return _name(source)  # "Harvard professor Graham Allison": the person
                return " ".join(words[: i + 1])
            break
    return _name(source)


def _starts_clause(before: str) -> bool:
    """Nothing but a clause boundary stands before the verb ('..." says X')."""
    stripped = before.rstrip().rstrip('"“”,')
    return stripped == "" or stripped.endswith((_HOLE.strip(), ",", ":", ";"))


def _subject_before(before: str) -> tuple[str | None] | None:
    """(name,) of the speaker right before a reporting verb, or None."""
    words = _WHEN_BEFORE.sub("", before.rstrip()).split()
    while words and (words[-1] in _BETWEEN or (words[-1].endswith("ly") and words[-1].islower())):
        words.pop()
    if len(words) >= 3 and words[-1] == "to" and words[-2] == "on" and words[-3] in ("went", "goes", "go"):
        del words[-3:]  # "The spokesperson went on to say"
    if words and _ACRONYM_ASIDE.match(words[-1]):
        if words.pop().endswith(",") and words and not words[-1].endswith(","):
            words[-1] += ","  # "..., who directs the Center for Automotive Research (CAR), said": the aside still ends there
    if not words:
        return None
    if words[-1] in ("and", "but"):
        return _clause_subject(" ".join(words[:-1]))
    text = " ".join(words)
    if text.endswith(","):
        # An aside between the speaker and the verb: ", who chairs ...," or
        # ", a former vice director of ...,"; unless it is the name itself.
        cut = text.rfind(",", 0, len(text) - 1)
        aside = text[cut + 1 : -1].strip()
        if _is_bare_name(aside):
            return (_name(aside),)
        if aside in _ASIDE_WORDS:  # "Most experts, however, maintain"
            return _subject_before(text[:cut]) if cut >= 0 else None
        opened = _aside_opened(text)
        if opened is not None:  # an aside with commas of its own: ", who ... transport, logistics and the auto industry,"
            return opened
        text = text[:cut] if cut >= 0 else ""
    chunk = _BOUNDARY.split(text)[-1].strip()
    if chunk[:1].isupper() and text.endswith(" and " + chunk):
        # "Industry and Security": an "and" between capitalised words is in the name; where the
        # whole is too long for one ("Foreign Minister Wang Yi and Secretary of State Antony
        # Blinken"), the last of them speaks, as before
        glued = _BOUNDARY.split(_AND_IN_NAME.sub(r"\1" + _GLUE, text))[-1].replace(_GLUE, " and ").strip()
        found = _speaker_chunk(glued)
        if found is not None:
            return found
    return _speaker_chunk(chunk)


_ASIDE_WORDS = frozenset(("however", "though", "too", "also", "meanwhile", "moreover", "instead", "nevertheless", "in turn",
                          "for their part", "for its part", "for his part", "for her part"))
# What opens an aside about the speaker: ", who ...", ", a German expert ...", ", the head of ...".
_ASIDE_OPENERS = frozenset("who a an the one former then now head chief director".split())


def _aside_opened(text: str) -> tuple[str | None] | None:
    """The speaker before an aside that holds commas of its own ("Rico Luman, who is an economist
    specializing in transport, logistics and cars,"): the first comma that opens an aside, after
    a speaker, ``text`` ending in the comma that closes it."""
    for m in re.finditer(r",\s+(\S+)", text[:-1]):
        if m.group(1).lower() in _ASIDE_OPENERS:  # ", Director of the Wisconsin Project ...,"
            found = _speaker_chunk(_BOUNDARY.split(text[: m.start()])[-1].strip())
            if found is not None and found[0] is not None:
                return found
    return None


_DOTTED = re.compile(r"(?:^|\s)(?:[A-Za-z]\.){2,}$")  # an abbreviation with its dots: "U.S.", "U.K."
_WHEN_WHERE = re.compile(r"\s+(?:on|in|at|during|after|before|last|this|today|tonight|yesterday|earlier|later)\b")


def _subject_after(after: str) -> tuple[str | None] | None:
    """The speaker named after the verb: 'says Senior Analyst **Alexander Brown**'."""
    bold = _BOLD.search(after)
    if bold and after[: bold.start()].count(" ") <= 6:
        return (bold.group(1).strip(),)
    chunk = _CLAUSE_SPLIT.split(after, 1)[0].strip()
    if not _DOTTED.search(chunk):  # "said the U.S.": the full stop is the abbreviation's
        chunk = chunk.rstrip(" .")
    return _speaker_chunk(_WHEN_WHERE.split(chunk, 1)[0])  # "said Janet Yellen on Monday": the speaker, not the day


def _clause_subject(clause: str) -> tuple[str | None] | None:
    """The subject of the clause a participle hangs on: 'Biden criticized ..., arguing'."""
    for segment in reversed(_CLAUSE_SPLIT.split(clause)):
        words = segment.split()
        if not words or words[0] in _LEADING - {"The", "A", "An"}:
            continue  # an opening phrase: "Before becoming President"
        subject: list[str] = []
        for w in words:
            if w[:1].islower() and w not in _CONNECTORS:
                break
            subject.append(w)
        if len(subject) <= 1 and len(words) > 1 and words[0] in ("the", "a", "an", "The", "A", "An"):
            subject = words[:2]  # "the ministry, saying", "The ministry issued rules, noting"
        found = _speaker_chunk(" ".join(subject)) if subject else None
        if found is not None:
            return found
        return None
    return None


def _speaker_chunk(chunk: str) -> tuple[str | None] | None:
    """(name,) when `chunk` can be a speaker, else None; (None,) for a pronoun."""
    when = _WHEN_OPENING.match(chunk)
    if when:  # "Last week the US president said": the time is no part of the speaker
        chunk = chunk[when.end():]
    words = chunk.split()
    if not words or words[0].lower() in _NOT_SPEAKERS:
        return None
    if len(words) > 8 and not (len(words) <= 12 and (" of " in chunk or " at " in chunk)):
        return None  # a clause, not a speaker; "Nicholas Lardy of the Peterson Institute for International Economics" is one
    if len(words) == 1 and words[0] in _IDIOMS:
        return None  # "Having said that", "All told", "Nobody said it would be easy"
    if len(words) == 1 and words[0] in _PRONOUNS:
        return (None,)
    bold = _BOLD.search(chunk)
    if bold:
        return (bold.group(1).strip(),)
    role_of = _ROLE_OF.match(chunk)
    if role_of and role_of.group("role").split()[-1] in _ROLES:
        return (f"{role_of.group('org')} {role_of.group('role')}",)
    while words and words[0] in _LEADING:
        words = words[1:]
    if not words:
        return None
    last = words[-1].strip(".,*")
    if _POSSESSIVE.search(last):
        return None  # "Washington's claims of ...": the cue is a noun
    if len(words) > 2 and last.lower() not in _ROLES and (" with " in chunk or " to " in chunk or " on " in chunk):
        familiar = _FAMILIAR.sub("", " ".join(words))
        if familiar != " ".join(words) and familiar.split()[-1].lower() in _ROLES:
            return (familiar,)
    if last.lower() in _ROLES:
        return (" ".join(words).strip("*"),)
    placed = _PLACED.match(" ".join(words))
    if placed and placed.group(1).split()[-1].lower() in _ROLES:
        return (placed.group(1).strip("*"),)  # "Analysts around the world", "officials in Beijing"
    if last[:1].isupper() and last not in _NOT_NAMES:
        return (_name(" ".join(words)),)
    return None


def _is_bare_name(text: str) -> bool:
    words = text.replace("**", "").split()
    return 0 < len(words) <= 4 and all(w[:1].isupper() and w not in _TITLES for w in words)


def _name(chunk: str) -> str | None:
    """The person in `chunk` if there is one, else its organisation or role."""
    bold = _BOLD.search(chunk)
    if bold:
        return bold.group(1).strip()
    # an initial keeps its full stop: "Gregory C. Allen"
    words = [w.strip(",:;()") for w in chunk.replace("**", "").split()]
    words = [w if (len(w) == 2 and w[1] == ".") or _DOTTED.fullmatch(w) else w.strip(".") for w in words if w]  # "U.S." keeps its dots
    words = [w for w in words if w]
    if " of " in chunk or " at " in chunk or " from " in chunk:
        # "Zhang Jifeng of the Chinese Academy of Social Sciences": the person
        first = 1 if words and words[0] in ("the", "The", "a", "A", "an", "An") else 0
        head = first
        while head < len(words) and words[head][:1].isupper():
            head += 1
        if head < len(words) and words[head] in ("of", "at", "from"):
            person = _person(words[first:head])
            if person:
                return person
    # the last run of capitalised words, with "of", "&", ... inside it
    end = len(words)
    while end and not (words[end - 1][:1].isupper() and words[end - 1] not in _NOT_NAMES):
        end -= 1
    if not end:
        phrase = " ".join(w for w in words if w not in ("the", "a", "an"))
        return phrase or None
    start = end - 1
    while start > 0:
        w = words[start - 1]
        if (
            (w[:1].isupper() and w not in _NOT_NAMES)
            or w in _PARTICLES
            or (w in _CONNECTORS and start - 1 > 0 and words[start - 2][:1].isupper())
        ):
            start -= 1
        else:
            break
    run = words[start:end]
    # "Baidu’s Robin Li", "China’s Foreign Minister Wang Yi": after the owner
    for k in range(len(run) - 1, -1, -1):
        if _POSSESSIVE.search(run[k]) and k < len(run) - 1 and run[k][:-2] != "People":
            run = run[k + 1 :]
            break
    # "Chinese Foreign Minister Wang Yi", "Secretary of Commerce Gina Raimondo"
    person = _person(run)
    if person:
        return person
    # "SASAC Secretary General and Spokesperson Zhuang Shuxin": drop the
    # titles in front of a person, but keep "US Secretary of State" whole.
    k = 0
    while k < len(run) - 1 and (run[k] in _TITLES or run[k].isupper() or run[k] == "and"):
        k += 1
    if k and run[k] not in _CONNECTORS and not any(w in _CONNECTORS for w in run[k:]):
        run = run[k:]
    return " ".join(run)


def _person(run: list[str]) -> str | None:
    """The person a run of capitalised words ends with, after titles or an
    office ("Commission President Ursula von der Leyen" -> "Ursula von der
    Leyen"), or a bare name of two or three words; None if it names no person."""
    j = len(run)
    while j and (_is_name_word(run[j - 1]) or (run[j - 1] in _PARTICLES and j < len(run))):
        j -= 1
    name = run[j:]
    core = sum(1 for w in name if w not in _PARTICLES)
    if not 1 <= core <= 3:
        return None
    if j == 0:
        return " ".join(name) if core >= 2 else None
    before = run[j - 1]
    if before in _TITLES or (core >= 2 and (before in _OFFICE or _is_acronym(before))):
        return " ".join(name)
    return None


def _is_name_word(word: str) -> bool:
    return (
        word[:1].isupper()
        and word not in _TITLES
        and word not in _OFFICE
        and word not in _NOT_NAMES
        and not _is_acronym(word)
        and not _POSSESSIVE.search(word)
    )


def _is_acronym(word: str) -> bool:
    return word.isupper() and len(word.replace(".", "")) > 1

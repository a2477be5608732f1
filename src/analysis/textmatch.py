"""Text as the leak check and the name scrubbing compare it: disguises undone, names found in it.

A name can be hidden from a plain search in many ways that a reader does not see: a soft
hyphen or zero-width space inside it, a look-alike letter from another alphabet (Cyrillic
"о" for Latin "o"), an entity (``&amp;`` for ``&``, even ``&amp;amp;``), full-width or
mathematical letters, a no-break space, ``and`` for ``&``. :func:`normalise` undoes all of
them, on the names and on the text alike, and :class:`TermIndex` finds many names at once in
the normalised text. :func:`fold_with_spans` does the same while remembering where each
character came from, so a match can be replaced in the original text.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

__all__ = [
    "normalise",
    "fold",
    "fold_with_spans",
    "match_key",
    "identifier_forms",
    "searchable_identifier",
    "MIN_IDENTIFIER_DIGITS",
    "TermIndex",
]

#: The numeric part of an organisation identifier is searched for on its own (without its
#: prefix) when it has at least this many digits: a charity number (7 digits) or company
#: number (8) names one organisation, while "007" or "12" would match ordinary numbers.
MIN_IDENTIFIER_DIGITS = 6

# Invisible characters, removed before comparing: every format character (Unicode category
# Cf: soft hyphen, zero-width space and joiners, direction marks and embeddings, word joiner,
# byte-order mark, tags...) and the other default-ignorable code points (combining grapheme
# joiner, Hangul fillers, variation selectors). tests/test_leak_normalise.py checks that this
# class holds every Cf character of the running Python's Unicode database.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F),
    (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1345F), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_INVISIBLE = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _INVISIBLE_RANGES) + "]")
_ENTITY = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")  # as html.unescape
_MAX_UNESCAPE = 8  # &amp;amp;amp;... decoded this many times at most
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_WORD = re.compile(r"\w")
#: What may stand between the words of a name, or the parts of an identifier, in a match:
#: nothing ("AgeUK"), spaces of any kind and number, hyphens and dashes, underscores; in an
#: identifier also dots, colons and slashes ("GB.CHC/1234567").
_NAME_SEP = r"[\s\-\u2010-\u2015_]*"
_ID_SEP = r"[\s\-\u2010-\u2015_.:/]*"
_DIGIT_SEP = r"[ \-]?"  # inside the numeric part: "1234 567", "123-4567"
# Boundaries at the start of a term, checked just after its first character (a pattern that
# begins with literal characters lets the regular-expression engine skip ahead quickly):
# no letter or digit before it; for a number, no digit nor digit and decimal point.
_AFTER_WORD_START = r"(?<!\w[\s\S])"
_AFTER_NUMBER_START = r"(?<!\d[\s\S])(?<!\d[.,][\s\S])"


@functools.cache
def _table() -> dict[int, str]:
    """``str.translate`` table: invisible characters removed, look-alike letters to the Latin
    letter or digit they imitate, curly quotes to straight ones, ``&`` to `` and ``, blank
    look-alikes to a space.

    The look-alikes come from Unicode's confusables (UTS #39, as packaged by
    ``confusable_homoglyphs``): every character outside ASCII whose prototype is a single
    ASCII letter or digit. Prototype "l" stands for any vertical stroke (l, I, 1); a capital
    letter with that prototype (Greek Iota, Cyrillic I) maps to "I", others to "l".
    ASCII itself is never changed, so "0" and "O" or "1" and "l" stay apart.
    """
    from confusable_homoglyphs import confusables

    table: dict[int, str] = {}
    for ch, glyphs in confusables.confusables_data.items():
        if len(ch) != 1 or ch.isascii():
            continue
        targets = sorted({g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()})
        if not targets:
            continue
        target = targets[0]
        if target == "l" and unicodedata.category(ch) == "Lu":
            target = "I"
        table[ord(ch)] = target
    table.update(dict.fromkeys((c for a, b in _INVISIBLE_RANGES for c in range(a, b + 1))))
    table.update({0x2018: "'", 0x2019: "'", 0x201A: "'", 0x201B: "'", 0x2032: "'", 0x201C: '"', 0x201D: '"',
                  0x201E: '"', 0x201F: '"', 0x2033: '"', 0x2800: " ", ord("&"): " and "})
    return table


def _unescape(text: str) -> str:
    """HTML/XML entities decoded, repeatedly (``&amp;amp;`` is ``&``)."""
    for _ in range(_MAX_UNESCAPE):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _fold_piece(text: str) -> str:
    """Everything but entity decoding and whitespace, for a whole text or one character."""
    if text.isascii():  # nothing to normalise or remove, no look-alikes: case and "&" only
        return text.replace("&", " and ").lower()
    table = _table()
    text = unicodedata.normalize("NFKC", text.translate(table)).translate(table).casefold()
    return unicodedata.normalize("NFKC", text)


def fold(text: str) -> str:
    """Text as searched: like :func:`normalise` but with whitespace as it was (line breaks kept).

    Examples
    --------
    >>> fold("Age\\u00adUK\\nCoventry &amp;amp; Co")
    'ageuk\\ncoventry  and  co'
    """
    return _fold_piece(_unescape(str(text)))


def normalise(text: str) -> str:
    """Text as the leak check compares it, every disguise undone.

    In this order: HTML/XML entities decoded, repeatedly (``&amp;amp;`` is ``&``); invisible
    characters removed (category Cf: soft hyphen, zero-width space and joiners, direction
    marks, byte-order mark..., and the other default-ignorable characters); Unicode NFKC
    (full-width and mathematical letters, ligatures, no-break spaces); look-alike letters
    from other alphabets replaced by the Latin letter or digit they imitate (Unicode's
    confusables, UTS #39); curly quotes straightened; ``&`` read as ``and``; case folded;
    whitespace runs as one space, trimmed.

    Examples
    --------
    >>> normalise("St Mary\\u2019s\\u00a0Trust")
    "st mary's trust"
    >>> normalise("F\\u043e\\u043ed\\u200bbank &amp;amp; Fr\\u00adiends")  # Cyrillic o, zero-width space, soft hyphen
    'foodbank and friends'
    >>> normalise("\\uff28\\u039f\\u03a1\\u0395")  # full-width H, Greek capitals Omicron, Rho, Epsilon
    'hope'

    References
    ----------
    Unicode Technical Standard #39, Unicode Security Mechanisms, section 4 (confusable
    detection). Unicode Standard Annex #15, Unicode Normalization Forms (NFKC).
    """
    return " ".join(fold(text).split())


_PLAIN_RUN = re.compile("[\x00-\x25\x27-\x7f]+")


def _takes_marks(ch: str) -> bool:
    """Whether ``ch`` belongs to the character before it (a combining mark or an invisible)."""
    return not ch.isascii() and bool(unicodedata.combining(ch) or _INVISIBLE.match(ch))


def fold_with_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """:func:`fold` of ``text`` and, for each character of it, the span of ``text`` it came from.

    A match from ``start`` to ``end`` in the folded text covers
    ``text[spans[start][0]:spans[end - 1][1]]`` of the original, so it can be replaced there
    and the rest of the text keeps its case, accents and spacing. Characters are folded one
    at a time with their combining marks (an entity as a whole), which gives the same folded
    text as :func:`fold` for every text the tests try.

    Examples
    --------
    >>> folded, spans = fold_with_spans("Visit Age\\u200bUK &amp; co")
    >>> folded
    'visit ageuk  and  co'
    >>> start = folded.index("ageuk"); a, b = spans[start][0], spans[start + 4][1]
    >>> "Visit Age\\u200bUK &amp; co"[a:b]
    'Age\\u200bUK'
    """
    text = str(text)
    chars, spans = text, [(i, i + 1) for i in range(len(text))]
    for _ in range(_MAX_UNESCAPE):  # entities, repeatedly: each decoded piece spans its entity
        if "&" not in chars:
            break
        out, out_spans, pos, changed = [], [], 0, False
        for m in _ENTITY.finditer(chars):
            decoded = html.unescape(m.group(0))
            if decoded == m.group(0):
                continue
            changed = True
            out.append(chars[pos:m.start()])
            out_spans.extend(spans[pos:m.start()])
            span = (spans[m.start()][0], spans[m.end() - 1][1])
            out.append(decoded)
            out_spans.extend([span] * len(decoded))
            pos = m.end()
        if not changed:
            break
        out.append(chars[pos:])
        out_spans.extend(spans[pos:])
        chars, spans = "".join(out), out_spans
    folded, folded_spans = [], []
    i, n = 0, len(chars)
    while i < n:
        plain = _PLAIN_RUN.match(chars, i)  # ASCII but "&": folds to its lower case, one to one
        if plain:
            j = plain.end()
            if j < n and _takes_marks(chars[j]):
                j -= 1  # the run's last character goes with the marks after it
            if j > i:
                folded.append(chars[i:j].lower())
                folded_spans.extend(spans[i:j])
                i = j
                continue
        j = i + 1  # one character with the combining marks (and invisibles) after it
        while j < n and _takes_marks(chars[j]):
            j += 1
        piece = _fold_piece(chars[i:j])
        folded.append(piece)
        folded_spans.extend([(spans[i][0], spans[j - 1][1])] * len(piece))
        i = j
    return "".join(folded), folded_spans


def match_key(folded: str) -> str:
    """What two matches of the same name have in common: letters and digits only.

    A name matches whatever stands between its words ("Age UK", "age-uk", "AgeUK"); the key
    tells which name a match was.

    Examples
    --------
    >>> match_key(normalise("Age-UK")) == match_key(normalise("age\\u00a0uk"))
    True
    """
    return _NOT_ALNUM.sub("", folded)


def searchable_identifier(org_id: str) -> bool:
    """Whether an organisation identifier is searched for.

    The rule: an identifier with fewer than 4 letters and digits ("007", "R12") is never
    searched for; an identifier of digits only is searched for only with at least
    :data:`MIN_IDENTIFIER_DIGITS` digits (a bare "12345" is as likely a population or an
    amount). Every other identifier is searched for with its prefix (see
    :func:`identifier_forms`).

    Examples
    --------
    >>> [searchable_identifier(x) for x in ("007", "12345", "1234567", "GB-CHC-7", "GB-LAE-COV")]
    [False, False, True, True, True]
    """
    key = match_key(normalise(org_id))
    if len(key) < 4:
        return False
    return not key.isdigit() or len(key) >= MIN_IDENTIFIER_DIGITS


def identifier_forms(org_id: str) -> list[list[str]]:
    """The forms in which an organisation identifier is searched for, as lists of its parts.

    The rule (documented here, tested in tests/test_leak_normalise.py):

    - the whole identifier, its parts (runs of letters, runs of digits) separated by
      anything or nothing: GB-CHC-1234567 is found as "GB CHC 1234567", "gb.chc.1234567"
      and "gbchc1234567";
    - when it ends in a run of digits (as org-id.guide identifiers do) of at least
      :data:`MIN_IDENTIFIER_DIGITS` digits, not all zeros, also
      that number alone, as a whole number (not inside a longer number, not after a decimal
      point), its digits perhaps split by a space or hyphen, with or without its leading
      zeros while it keeps that many digits: a charity or company number names the
      organisation without its prefix;
    - shorter numbers are searched only with their prefix ("GB-CHC-7" is found, "7" alone
      is not), and an identifier of digits only is searched only as a number alone, so
      "12345" or "007" is not searched at all (see :func:`searchable_identifier`).

    Examples
    --------
    >>> identifier_forms("GB-COH-01234567")
    [['gb', 'coh', '01234567'], ['#01234567'], ['#1234567']]
    >>> identifier_forms("GB-CHC-7"), identifier_forms("12345"), identifier_forms("1234567")
    ([['gb', 'chc', '7']], [], [['#1234567']])
    >>> identifier_forms("360G-fund-001b000000ViITn")  # digits inside the id: only the whole id
    [['360', 'g', 'fund', '001', 'b', '000000', 'viitn']]
    """
    parts = re.findall(r"\d+|[^\W\d_]+", normalise(org_id))
    if not parts:
        return []
    only_digits = len(parts) == 1 and parts[0].isdigit()
    forms = [] if only_digits else [parts]
    number = parts[-1]
    if number.isdigit() and number.strip("0"):  # a number that ends the identifier, not only zeros
        for alone in dict.fromkeys([number, number.lstrip("0")]):
            if len(alone) >= MIN_IDENTIFIER_DIGITS:
                forms.append(["#" + alone])
    return forms


def _name_tokens(term: str) -> tuple[str, ...]:
    """A name as a sequence of regular-expression tokens: boundary, characters, separators."""
    t = normalise(term)
    if not t:
        return ()
    tokens = [_NAME_SEP if ch == " " else re.escape(ch) for ch in t]
    if _WORD.match(t[0]):
        tokens.insert(1, _AFTER_WORD_START)
    tokens.append(r"(?!\w)" if _WORD.match(t[-1]) else "")
    return tuple(tokens)


def _identifier_tokens(parts: list[str]) -> tuple[str, ...]:
    if parts[0].startswith("#"):  # a number alone: whole number, digits maybe spaced
        digits = parts[0][1:]
        body = [tok for d in digits for tok in (re.escape(d), _DIGIT_SEP)][:-1]
        return (body[0], _AFTER_NUMBER_START, *body[1:], r"(?!\d)(?![.,]\d)")
    body = [tok for p in parts for tok in (*map(re.escape, p), _ID_SEP)][:-1]
    return (body[0], _AFTER_WORD_START, *body[1:], r"(?!\w)")


class TermIndex:
    """Many terms compiled into one trie-shaped regular expression over :func:`fold`-ed text.

    A plain alternation of hundreds of names scans a page hundreds of times slower: the trie
    tries only the branch of the character at hand. Terms are normalised like the text
    (:func:`normalise`); between their words anything in ``_NAME_SEP`` may stand (spaces,
    line breaks, hyphens, or nothing); a term that begins (ends) with a letter or digit only
    matches at a word boundary. With ``identifiers``, each term is an organisation
    identifier, searched in the forms of :func:`identifier_forms`.

    Examples
    --------
    >>> idx = TermIndex(["Age UK", "Age UK Coventry", "Hope"])
    >>> text = fold("Age UK\\nCoventry and hopeful age-uk")
    >>> [text[a:b] for a, b in idx.finditer(text)]
    ['age uk\\ncoventry', 'age-uk']
    >>> ids = TermIndex(["GB-CHC-1234567", "GB-CHC-7"], identifiers=True)
    >>> text = fold("gbchc1234567, no. 1234567, 11234567, GB CHC 7, GB-CHC-77, 0.1234567")
    >>> [text[a:b] for a, b in ids.finditer(text)]
    ['gbchc1234567', '1234567', 'gb chc 7']
    """

    def __init__(self, terms, *, identifiers: bool = False):
        sequences = set()
        for term in terms:
            if identifiers:
                sequences.update(_identifier_tokens(parts) for parts in identifier_forms(term))
            else:
                sequences.add(_name_tokens(term))
        sequences.discard(())
        self.size = len(sequences)
        trie: dict = {}
        for seq in sequences:
            node = trie
            for tok in seq:
                node = node.setdefault(tok, {})
            node[None] = {}
        self.pattern = re.compile(self._build(trie)) if trie else None

    @classmethod
    def _build(cls, node: dict) -> str:
        # Tokens that consume text first, zero-width boundaries and the end of a term last,
        # so the longest term is tried first ("Age UK Coventry" before "Age UK").
        def order(tok):
            return (tok is None, tok is not None and tok.startswith("(?!"), tok or "")

        alts = ["" if tok is None else tok + cls._build(node[tok]) for tok in sorted(node, key=order)]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    def __bool__(self) -> bool:
        return self.pattern is not None

    def finditer(self, folded: str):
        """``(start, end)`` of every match in text already :func:`fold`-ed."""
        if self.pattern is None:
            return
        for m in self.pattern.finditer(folded):
            if m.end() > m.start():
                yield m.start(), m.end()

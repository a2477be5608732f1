"""Audiences and disclosure control: pseudonyms, quotes by consent, small-cell suppression.

Two audiences (README.md, "Audiences and disclosure"):

``internal``
    The study as it is: organisations by name.
``stakeholder``
    Organisations under stable pseudonyms ("VCSE 07") unless study.yml lists their
    ``org_id`` as ``nameable``; quotes only where ``consent`` is true; survey respondents
    under keyed pseudonyms; grant recipients and funders under their pseudonyms (or
    "Organisation outside the study"); and statistics that rest on fewer than
    ``study.disclosure_threshold`` (k) respondents or ratings suppressed, with secondary
    suppression (see :func:`suppression_mask`).

Suppression itself and the escaped tables that show it are in ``suppression``; their
public names are re-exported here.

Pseudonyms come from a keyed mapping (HMAC-SHA256 with a secret key per study, kept in
:data:`analysis.paths.KEYS_DIR`, outside ``outputs/`` and git), never from a bare hash of the
name, which anyone could reverse by hashing a list of local charities.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

import pandas as pd

from analysis.keys import (  # re-exported: the keys and audiences, kept where the runner imports them without pandas
    AUDIENCES,
    KEY_FILE_ENV,
    _as_key,
    key_file,
    key_fingerprint,
    read_key,
)
from analysis.schema import SECTOR_GROUP_LABELS, SECTOR_GROUP_OF
from analysis.suppression import (  # re-exported: notebooks import them from here
    SafeHTML,
    disclosure_table,
    html_table,
    phase_change,
    suppress,
    suppression_mask,
    suppression_message,
)

__all__ = [
    "AUDIENCES",
    "OUTSIDE_STUDY",
    "for_audience",
    "audience_of",
    "study_key",
    "KEY_FILE_ENV",
    "key_file",
    "read_key",
    "key_fingerprint",
    "pseudonym_map",
    "respondent_pseudonyms",
    "disclosure_threshold",
    "study_for_page",
    "page_plan",
    # small-cell suppression and escaped tables (analysis.suppression), re-exported
    "suppression_message",
    "suppression_mask",
    "suppress",
    "phase_change",
    "html_table",
    "disclosure_table",
    "SafeHTML",
]

#: What a stakeholder page calls a grant's recipient or funder that is not in the study.
OUTSIDE_STUDY = "Organisation outside the study"


# -- audiences ------------------------------------------------------------------------------

def _check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(map(repr, AUDIENCES))}, not {audience!r}")
    return audience


def audience_of(study) -> str:
    """The audience a study was prepared for by :func:`for_audience` ("internal" if never).

    Examples
    --------
    >>> audience_of(for_audience(_tiny_study(), "stakeholder", key=b"k"))
    'stakeholder'
    """
    return (study.settings or {}).get("audience", "internal")


def for_audience(study, audience: str, *, key: bytes | str | None = None):
    """The study as a page for ``audience`` may show it.

    Parameters
    ----------
    study : Study
        As loaded.
    audience : {"internal", "stakeholder"}
        ``internal`` returns ``study`` unchanged. ``stakeholder`` returns a copy in which:

        - every organisation's ``name`` is its pseudonym (:func:`pseudonym_map`) unless its
          ``org_id`` is in ``study.settings["nameable"]``;
        - ``evidence.quote`` is blank unless ``consent`` is true;
        - ``survey_responses.respondent_id`` is a keyed pseudonym ("R-3fa9c2d1");
        - ``grants`` "Recipient Org:Name" and "Funding Org:Name" are the organisation's
          pseudonym when the identifier is an organisation of the study, else
          :data:`OUTSIDE_STUDY`; a nameable identifier keeps its name;
        - the name of any non-nameable organisation written into free text (evidence
          summaries and quotes, grant titles, descriptions and programme titles, board
          names) is replaced by its pseudonym, or by :data:`OUTSIDE_STUDY` for grant
          recipients and funders not in the study, and a respondent id by its pseudonym;
          names are found however disguised (letter case, entities such as ``&amp;``,
          soft hyphens and zero-width spaces, look-alike letters from other alphabets,
          ``and`` for ``&``: :func:`analysis.textmatch.normalise`), as the leak check
          finds them;
        - ``settings["audience"]`` is ``"stakeholder"`` (see :func:`audience_of`).

        Identifiers (org_id and the rest) are kept so tables still join; pages should not
        show them.
    key : bytes or str, optional
        The secret key; by default the study's key file (:func:`study_key`).

    Returns
    -------
    Study

    Raises
    ------
    ValueError
        For any other audience.

    Examples
    --------
    >>> s = _tiny_study()
    >>> for_audience(s, "internal") is s
    True
    >>> t = for_audience(s, "stakeholder", key=b"example key")
    >>> t.organisations["name"].tolist()
    ['Coventry City Council', 'VCSE 82', 'VCSE 79']
    >>> for_audience(s, "public")
    Traceback (most recent call last):
    ...
    ValueError: audience must be one of 'stakeholder', 'internal', not 'public'
    """
    _check_audience(audience)
    if audience == "internal":
        return study
    if key is None:
        key = study_key(study)
    shown = pseudonym_map(study, key=key)  # org_id -> name a stakeholder page may show
    nameable = _nameable(study)

    orgs = study.organisations.copy()
    orgs["name"] = orgs["org_id"].map(lambda o: shown[str(o)]).astype(orgs["name"].dtype)

    # Free-text replacements: each non-nameable name -> what the page shows instead.
    replacements = {}
    grants = study.grants.copy()
    for id_col, name_col in (("Recipient Org:Identifier", "Recipient Org:Name"),
                             ("Funding Org:Identifier", "Funding Org:Name")):
        if len(grants):
            for org_id, name in zip(grants[id_col], grants[name_col], strict=False):
                if isinstance(name, str) and str(org_id) not in nameable:
                    replacements.setdefault(name, shown.get(str(org_id), OUTSIDE_STUDY))
            kept = grants[id_col].astype("object").map(lambda o: pd.notna(o) and str(o) in nameable)
            grants[name_col] = grants[name_col].where(kept, grants[id_col].map(
                lambda o: shown.get(str(o), OUTSIDE_STUDY) if pd.notna(o) else OUTSIDE_STUDY
            )).astype(grants[name_col].dtype)
    for org_id, name in zip(study.organisations["org_id"], study.organisations["name"], strict=False):
        if isinstance(name, str):
            # The study's own organisations win; a nameable name maps to itself, so a
            # shorter name inside it ("Age UK" in "Age UK Coventry") is not replaced there.
            replacements[name] = name if str(org_id) in nameable else shown[str(org_id)]
    codes = respondent_pseudonyms(study, key=key) if len(study.survey_responses) else {}
    replacements.update(codes)  # a respondent id written into a summary or a quote
    scrub = _scrubber(replacements)

    for col in ("Title", "Description", "Grant Programme:Title"):
        if col in grants and len(grants):
            grants[col] = _scrub_column(grants[col], scrub)

    evidence = study.evidence.copy()
    if len(evidence):
        consent = evidence["consent"].fillna(False).astype(bool)
        evidence["quote"] = evidence["quote"].where(consent, pd.NA)
        for col in ("summary", "quote"):
            evidence[col] = _scrub_column(evidence[col], scrub)

    boards = study.boards.copy()
    if len(boards):
        boards["board"] = _scrub_column(boards["board"], scrub)

    responses = study.survey_responses.copy()
    if len(responses):
        responses["respondent_id"] = responses["respondent_id"].map(
            lambda r: codes[str(r)] if pd.notna(r) else r).astype(responses["respondent_id"].dtype)

    settings = dict(study.settings or {}, audience="stakeholder")
    return study.replace(organisations=orgs, evidence=evidence, survey_responses=responses,
                         grants=grants, boards=boards, settings=settings)


def _nameable(study) -> set[str]:
    return {str(x) for x in ((study.settings or {}).get("nameable") or [])}


def _scrubber(replacements: dict[str, str]):
    """A function replacing every name of ``replacements`` in a text by what it maps to.

    Names are found as the leak check finds them (:func:`analysis.textmatch.normalise` on
    both sides: case, entities, invisible characters such as soft hyphens and zero-width
    spaces, look-alike letters, ``&`` and ``and``, any spacing between words); the match is
    replaced in the original text, which otherwise keeps its spelling. When two names
    normalise alike, the later one in ``replacements`` decides the replacement.
    """
    from analysis.leakcheck import searchable
    from analysis.textmatch import TermIndex, fold, fold_with_spans, match_key, normalise

    names = [k for k in replacements if searchable(k)]
    lookup = {match_key(normalise(k)): replacements[k] for k in names}
    index = TermIndex(names)
    if not index:
        return lambda text: text

    def scrub(text):
        if not isinstance(text, str) or not index.pattern.search(fold(text)):
            return text  # the common case, without folding character by character
        folded, spans = fold_with_spans(text)
        out, pos = [], 0
        for start, end in index.finditer(folded):
            a, b = spans[start][0], spans[end - 1][1]
            if a < pos:  # inside an entity already replaced
                continue
            out += [text[pos:a], lookup.get(match_key(folded[start:end]), OUTSIDE_STUDY)]
            pos = b
        out.append(text[pos:])
        return "".join(out)

    return scrub


def _scrub_column(col: pd.Series, scrub) -> pd.Series:
    return col.map(scrub, na_action="ignore").astype(col.dtype)


# -- keys and pseudonyms --------------------------------------------------------------------

def study_key(study, *, key_dir: str | os.PathLike | None = None) -> bytes:
    """The study's secret pseudonym key: read from its key file, created on first use.

    The file is ``<key_dir>/<study slug>.key`` (:func:`key_file`; ``key_dir`` defaults to
    :data:`analysis.paths.KEYS_DIR`, ``.keys/`` at the project root, which git ignores; the
    environment variable ``COORDINATION_KEY_DIR`` moves it), or the file the environment
    variable :data:`KEY_FILE_ENV` names (set by the batch runner for outputs named with
    ``--name``). It holds 32 random bytes and is created atomically (:func:`read_key`).
    Keep it: a new key gives every organisation a new pseudonym. Share it only with those
    who may see the names.

    Raises
    ------
    ValueError
        If the key directory is inside ``outputs/`` (keys must never be published).
    """
    named = os.environ.get(KEY_FILE_ENV)
    if named and key_dir is None:
        return read_key(named)
    return read_key(key_file(study.slug, key_dir=key_dir))


def _digest(key: bytes, kind: str, value: str) -> bytes:
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).digest()


def _slot_width(n: int) -> int:
    """Digits of the codes for a group of ``n``: 2 while it fills at most 40% of 1-99."""
    width = 2
    while n > 0.4 * (10 ** width - 1):
        width += 1
    return width


def pseudonym_map(study, key: bytes | str | None = None) -> dict[str, str]:
    """Each organisation's name as a stakeholder page shows it: ``{org_id: shown name}``.

    An organisation whose ``org_id`` is in ``study.settings["nameable"]`` keeps its name;
    every other gets ``"<sector group label> NN"`` (labels from
    :data:`analysis.schema.SECTOR_GROUP_LABELS`: "VCSE 07", "Council 12", "NHS and health 03").

    How NN is chosen. For each organisation, ``h = HMAC-SHA256(key, org_id)``; its preferred
    code is ``1 + h mod 99`` (two digits while a sector group has at most 39 organisations,
    three digits up to 399, and so on). Organisations are placed in the order of ``h``; one
    whose code is taken moves to the next free code. So the mapping depends only on the key
    and the set of org_ids: the same key gives the same pseudonyms in every run, phase and
    place; another key gives different ones; names and row order do not matter.

    Trade-off (chosen so adding an organisation rarely renumbers others): numbering 01, 02,
    ... by rank of ``h`` would renumber on average half the group when one organisation
    joins. With hashed codes, an existing organisation changes code only when a newcomer
    with a smaller ``h`` takes its slot (probability about n/99 for a group of n), and a
    group that crosses 39 organisations moves to three-digit codes (everyone in it changes).
    Gaps in the codes also avoid revealing how many organisations a group has. An
    organisation whose sector changes gets a new pseudonym.

    Parameters
    ----------
    study : Study
    key : bytes or str, optional
        The secret key; by default the study's key file (:func:`study_key`).

    Returns
    -------
    dict
        ``{org_id: name shown}`` for every organisation of the study.

    Examples
    --------
    >>> m = pseudonym_map(_tiny_study(), key=b"example key")
    >>> m == pseudonym_map(_tiny_study(), key=b"example key")
    True
    >>> sorted(m.values())
    ['Coventry City Council', 'VCSE 79', 'VCSE 82']
    """
    key = _as_key(study_key(study) if key is None else key)
    orgs = study.organisations
    nameable = _nameable(study)
    out: dict[str, str] = {}
    groups: dict[str, list[tuple[bytes, str]]] = {}
    for org_id, name, sector in zip(orgs["org_id"], orgs["name"], orgs["sector"], strict=False):
        org_id = str(org_id)
        if org_id in nameable:
            out[org_id] = str(name)
            continue
        group = SECTOR_GROUP_OF.get(str(sector), "other")
        groups.setdefault(group, []).append((_digest(key, "org", org_id), org_id))
    names = [str(n) for n in orgs["name"].dropna()]
    for group, members in groups.items():
        label = SECTOR_GROUP_LABELS.get(group, group)
        # a pseudonym must never read as another organisation's real name ("Council 11" when one is called that)
        pattern = re.compile(rf"{re.escape(label.casefold())}\s+0*(\d+)")
        clashes = {int(m.group(1)) for n in names if (m := pattern.fullmatch(" ".join(n.casefold().split())))}
        out.update({o: f"{label} {code}" for o, code in _codes(members, avoid=clashes).items()})
    return out


def _codes(members: list[tuple[bytes, str]], avoid=frozenset()) -> dict[str, str]:
    """Hashed codes with linear probing, placed in order of digest (see pseudonym_map); codes in ``avoid`` unused."""
    width = _slot_width(len(members) + len(avoid))
    space = 10 ** width - 1  # codes 1 .. space
    taken: set[int] = {code - 1 for code in avoid if 1 <= code <= space}
    out = {}
    for digest, ident in sorted(members):
        slot = int.from_bytes(digest[:8], "big") % space
        while slot in taken:
            slot = (slot + 1) % space
        taken.add(slot)
        out[ident] = f"{slot + 1:0{width}d}"
    return out


def respondent_pseudonyms(study, key: bytes | str | None = None) -> dict[str, str]:
    """``{respondent_id: "R-xxxxxxxx"}``: eight hex digits of HMAC-SHA256(key, id).

    Stable for a key whatever else the study holds (adding respondents renumbers no one);
    lengthened to 12 digits in the unlikely event that two respondents collide. Ids that
    are the same once normalised (:func:`analysis.textmatch.normalise`: letter case, an
    invisible character such as a zero-width space, a look-alike letter) are one respondent
    and get one pseudonym, that of the plainest spelling (one that normalisation leaves
    alone but for case, else the first in order), so one person is never counted twice.

    Examples
    --------
    >>> respondent_pseudonyms(_tiny_study(), key=b"k1") == respondent_pseudonyms(_tiny_study(), key=b"k1")
    True
    >>> all(v.startswith("R-") and len(v) == 10 for v in respondent_pseudonyms(_tiny_study(), key=b"k1").values())
    True
    """
    from analysis.textmatch import normalise

    key = _as_key(study_key(study) if key is None else key)
    ids = sorted({str(r) for r in study.survey_responses["respondent_id"].dropna()})
    groups: dict[str, list[str]] = {}
    for r in ids:
        groups.setdefault(normalise(r), []).append(r)
    plainest = {r: min(g, key=lambda x: (normalise(x) != " ".join(x.split()).casefold(), x))
                for g in groups.values() for r in g}
    people = sorted(set(plainest.values()))
    for digits in (8, 12, 16, 64):
        codes = {r: "R-" + _digest(key, "respondent", r).hex()[:digits] for r in people}
        if len(set(codes.values())) == len(codes):
            return {r: codes[plainest[r]] for r in ids}
    raise AssertionError("HMAC collision")  # pragma: no cover


# -- the threshold of a page -----------------------------------------------------------------

def disclosure_threshold(study, audience: str | None = None) -> int:
    """The disclosure threshold of a page: ``study.disclosure_threshold`` for stakeholder
    pages, 1 for internal ones (nothing suppressed, but an empty cell still says so).

    ``audience`` defaults to :func:`audience_of` the study.

    Examples
    --------
    >>> s = _tiny_study()
    >>> disclosure_threshold(s, "stakeholder"), disclosure_threshold(s, "internal")
    (5, 1)
    """
    audience = _check_audience(audience or audience_of(study))
    return int(study.disclosure_threshold) if audience == "stakeholder" else 1


def study_for_page(path, audience: str):
    """The study at ``path`` as a page for ``audience`` shows it: ``for_audience(load_study(path), audience)``.

    Both steps are done once per process for the same study files, code, audience and pseudonym
    key (:func:`study_key`), through :mod:`analysis.cache` (in memory only: the result holds
    names); each call returns a copy the caller may change.
    """
    from analysis.cache import cached, cached_study, copy_study

    original = cached_study(path)
    if audience == "internal":
        return original
    key_digest = hashlib.sha256(study_key(original)).hexdigest()
    return cached(original, "page-study", lambda: for_audience(original, audience), parts=(audience, key_digest),
                  disk=False, copy_with=copy_study)


def page_plan(study, place: str, phase: str, threshold: int | None = None):
    """The disclosure plan of a place's page for one phase: which trust means every figure and table hides.

    The one call a page makes before it draws anything; see
    :func:`analysis.networks.plan.trust_page_plan`. Pass the plan to
    ``trust_heatmap(..., plan=plan)`` and ``trust_received_chart(..., plan=plan)``, and show
    ``plan.summary(summary)``, ``plan.comparison(change)`` and ``plan.indicators(table)``
    instead of the raw ones.
    """
    from analysis.networks.plan import trust_page_plan

    return trust_page_plan(study, place, phase, disclosure_threshold(study) if threshold is None else threshold)


def _tiny_study():
    """A three-organisation study for the doctests."""
    from analysis.study import study_from_tables

    return study_from_tables(
        {
            "places": pd.DataFrame({"place_id": ["coventry"], "name": ["Coventry"]}),
            "phases": pd.DataFrame({"phase_id": ["p1"], "label": ["One"],
                                    "start_date": ["2020-03-01"], "end_date": ["2020-06-30"]}),
            "organisations": pd.DataFrame({
                "org_id": ["GB-LAE-COV", "GB-CHC-1", "GB-CHC-2"],
                "name": ["Coventry City Council", "Age UK Coventry", "Foodbank & Friends"],
                "place_id": ["coventry"] * 3,
                "sector": ["local_authority", "vcse", "community_group"],
            }),
        },
        settings={"nameable": ["GB-LAE-COV"]},
        name="doctest",
    )

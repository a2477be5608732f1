"""Audiences and disclosure control: pseudonyms, quotes by consent, small-cell suppression.

Two audiences (DESIGN.md, "Audiences and disclosure"):

``internal``
    The study as it is: organisations by name.
``stakeholder``
    Organisations under stable pseudonyms ("VCSE 07") unless study.yml lists their
    ``org_id`` as ``nameable``; quotes only where ``consent`` is true; survey respondents
    under keyed pseudonyms; grant recipients and funders under their pseudonyms (or
    "Organisation outside the study"); and statistics that rest on fewer than
    ``study.disclosure_threshold`` (k) respondents or ratings suppressed, with secondary
    suppression (see :func:`suppression_mask`).

Pseudonyms come from a keyed mapping (HMAC-SHA256 with a secret key per study, kept in
:data:`analysis.paths.KEYS_DIR`, outside ``outputs/`` and git), never from a bare hash of the
name, which anyone could reverse by hashing a list of local charities.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import re
import secrets
import tempfile
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.schema import SECTOR_GROUP_LABELS, SECTOR_GROUP_OF

__all__ = [
    "AUDIENCES",
    "OUTSIDE_STUDY",
    "for_audience",
    "audience_of",
    "study_key",
    "pseudonym_map",
    "respondent_pseudonyms",
    "threshold",
    "suppression_message",
    "suppression_mask",
    "suppress",
    "phase_change",
    "html_table",
    "disclosure_table",
    "SafeHTML",
]

AUDIENCES = ("internal", "stakeholder")
#: What a stakeholder page calls a grant's recipient or funder that is not in the study.
OUTSIDE_STUDY = "Organisation outside the study"
_KEY_BYTES = 32


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
          recipients and funders not in the study;
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
    ValueError: audience must be one of 'internal', 'stakeholder', not 'public'
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
            for org_id, name in zip(grants[id_col], grants[name_col]):
                if isinstance(name, str) and str(org_id) not in nameable:
                    replacements.setdefault(name, shown.get(str(org_id), OUTSIDE_STUDY))
            kept = grants[id_col].astype("object").map(lambda o: pd.notna(o) and str(o) in nameable)
            grants[name_col] = grants[name_col].where(kept, grants[id_col].map(
                lambda o: shown.get(str(o), OUTSIDE_STUDY) if pd.notna(o) else OUTSIDE_STUDY
            )).astype(grants[name_col].dtype)
    for org_id, name in zip(study.organisations["org_id"], study.organisations["name"]):
        if isinstance(name, str):
            # The study's own organisations win; a nameable name maps to itself, so a
            # shorter name inside it ("Age UK" in "Age UK Coventry") is not replaced there.
            replacements[name] = name if str(org_id) in nameable else shown[str(org_id)]
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
        codes = respondent_pseudonyms(study, key=key)
        responses["respondent_id"] = responses["respondent_id"].map(
            lambda r: codes[str(r)] if pd.notna(r) else r).astype(responses["respondent_id"].dtype)

    settings = dict(study.settings or {}, audience="stakeholder")
    return study.replace(organisations=orgs, evidence=evidence, survey_responses=responses,
                         grants=grants, boards=boards, settings=settings)


def _nameable(study) -> set[str]:
    return {str(x) for x in ((study.settings or {}).get("nameable") or [])}


def _scrubber(replacements: dict[str, str]):
    from analysis.leakcheck import searchable, term_pattern

    lookup = {" ".join(k.split()).casefold(): v for k, v in replacements.items() if searchable(k)}
    pattern = term_pattern(lookup)
    if pattern is None:
        return lambda text: text

    def scrub(text):
        if not isinstance(text, str):
            return text
        from analysis.leakcheck import normalise

        return pattern.sub(lambda m: lookup.get(" ".join(m.group(0).split()).casefold(), OUTSIDE_STUDY),
                           normalise(text))

    return scrub


def _scrub_column(col: pd.Series, scrub) -> pd.Series:
    return col.map(scrub, na_action="ignore").astype(col.dtype)


# -- keys and pseudonyms --------------------------------------------------------------------

def study_key(study, *, key_dir: str | os.PathLike | None = None) -> bytes:
    """The study's secret pseudonym key: read from its key file, created on first use.

    The file is ``<key_dir>/<study slug>.key`` (``key_dir`` defaults to
    :data:`analysis.paths.KEYS_DIR`, ``.keys/`` at the project root, which git ignores; the
    environment variable ``COORDINATION_KEY_DIR`` moves it). It holds 32 random bytes from
    :func:`secrets.token_bytes` and is created with mode 0600, atomically: two processes
    creating it at once end up with the same key. Keep it: a new key gives every
    organisation a new pseudonym. Share it only with those who may see the names.

    Raises
    ------
    ValueError
        If the key directory is inside ``outputs/`` (keys must never be published).
    """
    directory = Path(key_dir) if key_dir is not None else Path(paths.KEYS_DIR)
    directory = directory.resolve()
    outputs = Path(paths.OUTPUTS_DIR).resolve()
    if directory == outputs or outputs in directory.parents:
        raise ValueError(f"the pseudonym key directory {directory} must not be inside {outputs}")
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", study.slug) or "study"
    path = directory / f"{slug}.key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{slug}.", suffix=".tmp")  # mode 0600
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(_KEY_BYTES))
            try:
                os.link(tmp, path)  # fails if another process created it first: use theirs
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    key = path.read_bytes()
    if len(key) < 16:
        raise ValueError(f"the pseudonym key file {path} is damaged (fewer than 16 bytes); "
                         "restore it from a backup, or delete it to start a new mapping")
    return key


def _as_key(key) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise ValueError("key must be non-empty bytes or str")
    return bytes(key)


def _digest(key: bytes, kind: str, value: str) -> bytes:
    return hmac.new(key, f"{kind}\x00{value}".encode("utf-8"), hashlib.sha256).digest()


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
    for org_id, name, sector in zip(orgs["org_id"], orgs["name"], orgs["sector"]):
        org_id = str(org_id)
        if org_id in nameable:
            out[org_id] = str(name)
            continue
        group = SECTOR_GROUP_OF.get(str(sector), "other")
        groups.setdefault(group, []).append((_digest(key, "org", org_id), org_id))
    for group, members in groups.items():
        label = SECTOR_GROUP_LABELS.get(group, group)
        out.update({o: f"{label} {code}" for o, code in _codes(members).items()})
    return out


def _codes(members: list[tuple[bytes, str]]) -> dict[str, str]:
    """Hashed codes with linear probing, placed in order of digest (see pseudonym_map)."""
    width = _slot_width(len(members))
    space = 10 ** width - 1  # codes 1 .. space
    taken: set[int] = set()
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
    lengthened to 12 digits in the unlikely event that two respondents collide.

    Examples
    --------
    >>> respondent_pseudonyms(_tiny_study(), key=b"k1") == respondent_pseudonyms(_tiny_study(), key=b"k1")
    True
    >>> all(v.startswith("R-") and len(v) == 10 for v in respondent_pseudonyms(_tiny_study(), key=b"k1").values())
    True
    """
    key = _as_key(study_key(study) if key is None else key)
    ids = sorted({str(r) for r in study.survey_responses["respondent_id"].dropna()})
    for digits in (8, 12, 16, 64):
        codes = {r: "R-" + _digest(key, "respondent", r).hex()[:digits] for r in ids}
        if len(set(codes.values())) == len(codes):
            return codes
    raise AssertionError("HMAC collision")  # pragma: no cover


# -- suppression ----------------------------------------------------------------------------

def threshold(study, audience: str | None = None) -> int:
    """The disclosure threshold k for a page: ``study.disclosure_threshold`` for stakeholder
    pages, 1 for internal ones (nothing suppressed, but an empty cell still says so).

    ``audience`` defaults to :func:`audience_of` the study.

    Examples
    --------
    >>> s = _tiny_study()
    >>> threshold(s, "stakeholder"), threshold(s, "internal")
    (5, 1)
    """
    audience = _check_audience(audience or audience_of(study))
    return int(study.disclosure_threshold) if audience == "stakeholder" else 1


def suppression_message(k: int, unit: str = "responses") -> str:
    """What a suppressed cell says.

    Examples
    --------
    >>> suppression_message(5), suppression_message(5, "ratings"), suppression_message(1)
    ('fewer than 5 responses', 'fewer than 5 ratings', 'no responses')
    """
    return f"no {unit}" if k <= 1 else f"fewer than {k} {unit}"


def suppression_mask(table: pd.DataFrame, n_col: str = "n", k: int = 5, *,
                     margins: dict | None = None) -> pd.Series:
    """Which rows of a tidy table a stakeholder page must suppress.

    Rules
    -----
    1. Primary: a row whose count ``n`` is below ``k`` (or missing) is suppressed.
    2. Secondary, for tables that show totals (``margins``): ``margins`` maps a label
       column to the label of its total row, e.g. ``{"sector": "All"}`` for a one-way
       table with a total, or ``{"from_group": "All", "to_group": "All"}`` for a two-way
       table with row and column totals. For each such column, the rows that agree on every
       other label column form a line whose parts add up to its total row. When exactly one
       part of a line is suppressed, its value could be recovered from the total by
       subtraction, so the unsuppressed part with the smallest ``n`` is suppressed too (ties:
       first in table order); when no other part is left, the total is suppressed. Lines are
       revisited until nothing changes, so a suppression made for a column is covered in its
       row too.
    3. Changes between phases (:func:`phase_change`): a change is suppressed when either
       phase's cell is (after rules 1 and 2 in each phase).

    Parameters
    ----------
    table : DataFrame
        Tidy: one row per cell, label columns, value columns and a count column.
    n_col : str
        The count of respondents or ratings each row rests on.
    k : int
        The threshold (:func:`threshold`).
    margins : dict, optional
        ``{label column: total label}`` as above.

    Returns
    -------
    Series of bool, aligned with ``table``.

    Examples
    --------
    One-way table with a total: "faith" (n 3) is below 5, so the smallest other part,
    "health" (n 6), is suppressed too; the total stays.

    >>> t = pd.DataFrame({"sector": ["vcse", "faith", "health", "council", "All"],
    ...                   "n": [10, 3, 6, 7, 26]})
    >>> suppression_mask(t, "n", 5, margins={"sector": "All"}).tolist()
    [False, True, True, False, False]
    """
    n = pd.to_numeric(table[n_col], errors="coerce")
    mask = (n.isna() | (n < k)).to_numpy().copy()
    if not margins or k <= 1:
        return pd.Series(mask, index=table.index, name="suppressed")
    label_cols = list(margins)
    for col in label_cols:
        if col not in table:
            raise KeyError(f"margin column {col!r} is not in the table")
    nvals = n.fillna(-1).to_numpy()
    lines = []  # (part positions, total positions)
    for col, total_label in margins.items():
        others = [c for c in label_cols if c != col]
        is_total = (table[col].astype("object") == total_label).to_numpy()
        keys = (table[others].astype("object").apply(tuple, axis=1) if others
                else pd.Series([()] * len(table), index=table.index))
        for _, idx in pd.Series(range(len(table)), index=table.index).groupby(keys.to_numpy(), sort=False):
            pos = idx.to_numpy()
            totals = [p for p in pos if is_total[p]]
            if not totals:
                continue
            lines.append(([p for p in pos if not is_total[p]], totals))
    changed = True
    while changed:
        changed = False
        for parts, totals in lines:
            if all(mask[t] for t in totals):
                continue  # the total is hidden: nothing to subtract from
            hidden = [p for p in parts if mask[p]]
            if len(hidden) != 1:
                continue
            shown = [p for p in parts if not mask[p]]
            if shown:
                mask[min(shown, key=lambda p: (nvals[p], p))] = True
            else:
                for t in totals:
                    mask[t] = True
            changed = True
    return pd.Series(mask, index=table.index, name="suppressed")


def suppress(table: pd.DataFrame, value_cols, n_col: str = "n", k: int = 5, *, unit: str = "responses",
             margins: dict | None = None, mask: pd.Series | None = None, formats: dict | None = None,
             hide_n: bool = True) -> pd.DataFrame:
    """A display copy of a tidy table with suppressed cells saying so.

    Rows chosen by :func:`suppression_mask` (or ``mask``) show
    :func:`suppression_message` in every value column and in the count column: never the
    value, never 0. Other cells are formatted with ``formats`` (``{column: "{:.2f}"}`` or a
    function) when given.

    Parameters
    ----------
    table : DataFrame
        Tidy, with label columns, ``value_cols`` and ``n_col``.
    value_cols : str or list of str
        The statistics to suppress.
    n_col : str
        The count each row rests on.
    k : int
        The threshold.
    unit : str
        "responses" or "ratings" (the message says "fewer than 5 ratings").
    margins : dict, optional
        Total rows, for secondary suppression (see :func:`suppression_mask`).
    mask : Series of bool, optional
        Rows to suppress, instead of computing them (e.g. from :func:`phase_change`).
    formats : dict, optional
        ``{column: format string or callable}`` for the cells shown.
    hide_n : bool
        Also replace the count of a suppressed row (default True).

    Returns
    -------
    DataFrame
        Object columns, ready for :func:`html_table`.

    Examples
    --------
    >>> t = pd.DataFrame({"sector": ["VCSE", "Faith"], "mean": [3.25, 1.0], "n": [8, 2]})
    >>> suppress(t, "mean", "n", 5, formats={"mean": "{:.1f}"}).values.tolist()
    [['VCSE', '3.2', 8], ['Faith', 'fewer than 5 responses', 'fewer than 5 responses']]
    """
    value_cols = [value_cols] if isinstance(value_cols, str) else list(value_cols)
    if mask is None:
        mask = suppression_mask(table, n_col, k, margins=margins)
    mask = pd.Series(mask, index=table.index).fillna(True).astype(bool)
    out = table.astype("object").copy()
    for col, fmt in (formats or {}).items():
        f = fmt.format if isinstance(fmt, str) else fmt
        out[col] = [f(v) if pd.notna(v) else "" for v in table[col]]
    message = suppression_message(k, unit)
    cols = value_cols + ([n_col] if hide_n and n_col in out else [])
    for col in cols:
        out[col] = out[col].where(~mask, message)
    return out


def phase_change(table: pd.DataFrame, by, value_col: str, before: str, after: str, *,
                 n_col: str = "n", k: int = 5, phase_col: str = "phase_id",
                 margins: dict | None = None) -> pd.DataFrame:
    """A statistic in two phases and its change, with the suppression of each.

    Each phase's rows are suppressed by :func:`suppression_mask` (with ``margins``), and
    the change is suppressed when either phase's cell is: otherwise ``after - change`` would
    reveal a hidden ``before``. A cell missing from one phase counts as n = 0 there.

    Parameters
    ----------
    table : DataFrame
        Tidy, with ``phase_col``, the ``by`` label columns, ``value_col`` and ``n_col``.
    by : str or list of str
        Label columns identifying a cell.
    value_col, n_col : str
    before, after : str
        The two phase ids.
    k : int
    phase_col : str
    margins : dict, optional

    Returns
    -------
    DataFrame
        ``by`` columns, then ``before``, ``after``, ``change``, ``n_before``, ``n_after``,
        ``before_suppressed``, ``after_suppressed``, ``change_suppressed``.

    Examples
    --------
    >>> t = pd.DataFrame({"phase_id": ["p1", "p1", "p2", "p2"], "group": ["a", "b", "a", "b"],
    ...                   "mean": [2.0, 3.0, 2.5, 3.5], "n": [6, 3, 7, 8]})
    >>> c = phase_change(t, "group", "mean", "p1", "p2", k=5)
    >>> c[["group", "change", "change_suppressed"]].values.tolist()
    [['a', 0.5, False], ['b', 0.5, True]]
    """
    by = [by] if isinstance(by, str) else list(by)
    parts = {}
    for label, phase in (("before", before), ("after", after)):
        sub = table[table[phase_col] == phase]
        sub = sub.assign(_suppressed=suppression_mask(sub, n_col, k, margins=margins))
        parts[label] = sub[by + [value_col, n_col, "_suppressed"]].rename(
            columns={value_col: label, n_col: f"n_{label}", "_suppressed": f"{label}_suppressed"})
    out = parts["before"].merge(parts["after"], on=by, how="outer", sort=False)
    # Rows in the order the table first lists them (an outer merge may sort them).
    both = table[table[phase_col].isin([before, after])]
    order = {k: i for i, k in enumerate(dict.fromkeys(both[by].itertuples(index=False, name=None)))}
    out = out.iloc[sorted(range(len(out)), key=lambda i: order.get(tuple(out[by].iloc[i]), len(order)))]
    for label in ("before", "after"):
        out[f"n_{label}"] = out[f"n_{label}"].fillna(0)
        out[f"{label}_suppressed"] = out[f"{label}_suppressed"].astype("boolean").fillna(True).astype(bool)
    out["change"] = out["after"] - out["before"]
    out["change_suppressed"] = out["before_suppressed"] | out["after_suppressed"]
    return out[by + ["before", "after", "change", "n_before", "n_after",
                     "before_suppressed", "after_suppressed", "change_suppressed"]].reset_index(drop=True)


# -- HTML -----------------------------------------------------------------------------------

class SafeHTML(str):
    """HTML built with every piece of study text escaped; displays as HTML in Jupyter."""

    def _repr_html_(self) -> str:
        return str(self)


def html_table(table: pd.DataFrame, *, caption: str | None = None, headers: dict | None = None,
               index: bool = False, muted: str | None = "fewer than") -> SafeHTML:
    """An HTML ``<table>`` of a display frame with every cell, header and caption escaped.

    Parameters
    ----------
    table : DataFrame
        What to show (e.g. from :func:`suppress`).
    caption : str, optional
        Plain-language caption (escaped).
    headers : dict, optional
        ``{column: heading}`` to rename columns for readers.
    index : bool
        Also show the index.
    muted : str or None
        Cells starting with this text get ``class="cip-suppressed"`` (set None to not mark).

    Returns
    -------
    SafeHTML
        A str that Jupyter displays as HTML.

    Examples
    --------
    >>> t = pd.DataFrame({"organisation": ["<script>alert(1)</script>"], "n": [3]})
    >>> print(html_table(t))  # doctest: +NORMALIZE_WHITESPACE
    <table class="cip-table"><thead><tr><th scope="col">organisation</th><th scope="col">n</th></tr></thead><tbody><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td class="cip-number">3</td></tr></tbody></table>
    """
    headers = headers or {}
    e = lambda v: html.escape("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v),  # noqa: E731
                              quote=True)
    cols = list(table.columns)
    head = ""
    if index:
        head += f'<th scope="col">{e(table.index.name or "")}</th>'
    head += "".join(f'<th scope="col">{e(headers.get(c, c))}</th>' for c in cols)
    rows = []
    for idx, row in zip(table.index, table.itertuples(index=False, name=None)):
        cells = f'<th scope="row">{e(idx)}</th>' if index else ""
        for v in row:
            cls = ""
            if isinstance(v, str) and (muted and v.startswith(muted) or v in ("no responses", "no ratings")):
                cls = ' class="cip-suppressed"'
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cls = ' class="cip-number"'
            cells += f"<td{cls}>{e(v)}</td>"
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    return SafeHTML(f'<table class="cip-table">{cap}<thead><tr>{head}</tr></thead>'
                    f'<tbody>{"".join(rows)}</tbody></table>')


def disclosure_table(table: pd.DataFrame, value_cols, n_col: str = "n", k: int = 5, *,
                     unit: str = "responses", margins: dict | None = None, formats: dict | None = None,
                     caption: str | None = None, headers: dict | None = None) -> SafeHTML:
    """Suppress small cells (:func:`suppress`) and show the result as an escaped HTML table.

    The one call a notebook makes to show a table of statistics:
    ``disclosure_table(frame, "mean", "n", threshold(s), formats={"mean": "{:.1f}"},
    caption="...")``.

    Examples
    --------
    >>> t = pd.DataFrame({"sector": ["VCSE", "A & B"], "mean": [3.25, 1.0], "n": [8, 2]})
    >>> h = disclosure_table(t, "mean", "n", 5, formats={"mean": "{:.1f}"})
    >>> "A &amp; B" in h, "fewer than 5 responses" in h, "1.0" in h
    (True, True, False)
    """
    shown = suppress(table, value_cols, n_col, k, unit=unit, margins=margins, formats=formats)
    return html_table(shown, caption=caption, headers=headers)


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

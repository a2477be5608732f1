"""Render executed notebooks to self-contained HTML pages, and write the index pages."""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
from pathlib import Path
from urllib.parse import quote

from analysis.files import atomic_write_text
from analysis.runner.jobs import AUDIENCE_LABELS, CROSS_PLACE_DIR, FAILED_DIR
from analysis.runner.manifest import Manifest

__all__ = [
    "TEMPLATES_DIR",
    "stylesheet",
    "notebook_title",
    "render_notebook",
    "external_references",
    "index_page",
    "rendered_at_now",
    "href",
    "PAGE_ORDER",
    "page_context",
    "index_indicators",
    "index_orders",
    "many_places_index",
    "write_indexes",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: Folder of a phase that holds the pages about all places together.
#: Order of a place's pages on a phase index, by notebook name: the page stakeholders read
#: first comes first. Notebooks not listed follow, in name order.
PAGE_ORDER = ("place_report", "trust_network", "funding_flows")

#: ``src=`` on any element, or ``href=`` on <link>, pointing beyond the page: a request the
#: browser would make by itself. (Links a reader may click, <a href>, are not requests.)
_FETCHING = re.compile(
    r"""<(?:(?P<tag>link)\b[^>]*?\bhref|[a-z][a-z0-9]*\b[^>]*?\bsrc)\s*=\s*["']?\s*(?P<url>(?:https?:)?//[^"'\s>]*)""",
    re.IGNORECASE,
)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def stylesheet() -> str:
    """The suite's CSS, inlined into every page (no external stylesheet, no web font)."""
    return (TEMPLATES_DIR / "cip" / "cip.css").read_text(encoding="utf-8")


def rendered_at_now() -> tuple[str, str]:
    """The time of rendering: ISO 8601 (for ``<time datetime>``) and as a reader writes it."""
    now = _dt.datetime.now().astimezone().replace(microsecond=0)
    return now.isoformat(), now.strftime("%-d %B %Y, %H:%M %Z").strip()


def notebook_title(nb) -> str:
    """A notebook's title: its ``metadata.title``, else its first ``# heading``, else ''.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Trust network\\nText")])
    >>> notebook_title(nb)
    'Trust network'
    """
    title = (nb.get("metadata") or {}).get("title")
    if title:
        return str(title)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in str(cell.get("source", "")).splitlines():
                m = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
                if m:
                    return re.sub(r"[*_`]", "", m.group(1))
    return ""


@functools.lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="cip",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,  # markdown images as data: URIs
        anchor_link_text="",
    )
    return exporter


def render_notebook(nb, context: dict) -> str:
    """Render an executed notebook as one self-contained HTML page.

    Code and prompts are hidden; images are embedded; the page has no script and fetches
    nothing (see :func:`external_references`). ``context`` fills the navigation header and
    the block that states what the page is: ``study_name, phase_label, place_label,
    page_label, notebook_label, audience, audience_label, fingerprint, package_version,
    rendered_at, rendered_at_label, illustrative, study_index, audience_index, phase_index``
    and ``title``. The template escapes every value.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    context : dict

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    ValueError
        If the page would fetch anything from the network.
    """
    import copy

    nb = copy.deepcopy(nb)
    # The pages are text for readers: drop widget state and outputs only a browser script can show.
    nb.metadata.pop("widgets", None)
    resources = {"cip": dict(context, css=stylesheet())}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    refs = external_references(body)
    if refs:
        raise ValueError(f"the rendered page would fetch {len(refs)} resource(s) from the network, e.g. {refs[0][:80]}")
    return body


def page_context(info, job, version: str, rendered: tuple[str, str]) -> dict:
    """What a notebook's page header says: study, phase, place, audience, fingerprint, version, time.

    ``info`` and ``job`` are the runner's :class:`~analysis.runner.StudyInfo` and
    :class:`~analysis.runner.Job`; ``rendered`` is :func:`rendered_at_now`.
    """
    place_label = info.place_names.get(job.place, job.place) if job.place else "All places"
    return {
        "study_name": info.name, "phase_label": info.phase_labels.get(job.phase, job.phase),
        "place_label": place_label, "page_label": place_label, "audience": job.audience,
        "audience_label": AUDIENCE_LABELS.get(job.audience, job.audience), "fingerprint": info.fingerprint,
        "package_version": version, "rendered_at": rendered[0], "rendered_at_label": rendered[1],
        "illustrative": info.illustrative, "study_index": "../../../index.html",
        "audience_index": "../../index.html", "phase_index": "../index.html",
    }


def external_references(page: str) -> list[str]:
    """URLs a browser would fetch by itself on opening ``page`` (scripts, images, stylesheets).

    Examples
    --------
    >>> external_references('<script src="https://cdn.example/require.js"></script><a href="https://x.org">x</a>')
    ['https://cdn.example/require.js']
    >>> external_references('<img src="data:image/png;base64,AAAA"><link rel="stylesheet" href="//cdn/x.css">')
    ['//cdn/x.css']
    """
    found = [m.group("url") for m in _FETCHING.finditer(page)]
    found += [m.group(0) for m in _CSS_IMPORT.finditer(page)]
    return found


@functools.lru_cache(maxsize=1)
def _index_template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "pages")),
        autoescape=True,  # every study string is text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    return env.get_template("index.html.j2")


_INDEX_DEFAULTS = {
    "kicker": "",
    "lede": "",
    "crumbs": [],
    "links": [],
    "links_heading": "",
    "places": [],
    "cross_pages": [],
    "indicators_note": "",
    "phase_label": "",
    "audience_label": "",
    "illustrative": False,
    "failed_count": 0,
    "page_count": 0,
    "waiting_count": 0,
    "failed_where": "",
    "many_places": None,
}


def index_page(**context) -> str:
    """Render an index page (study, audience or phase) from the ``pages/index.html.j2`` template.

    The template autoescapes, so place names, page titles and indicator values are shown
    as text whatever they contain.

    Examples
    --------
    >>> page = index_page(title="t", heading="<script>alert(1)</script>", study_name="S",
    ...                   study_index="index.html", fingerprint="abc", package_version="0",
    ...                   rendered_at="", rendered_at_label="")
    >>> "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    True
    """
    values = dict(_INDEX_DEFAULTS)
    values.update(context)
    values["css"] = stylesheet()
    return _index_template().render(**values)


def href(*parts: str) -> str:
    """A relative link from path segments, each percent-encoded.

    Examples
    --------
    >>> href("..", "coventry", "place report.html")
    '../coventry/place%20report.html'
    """
    return "/".join(p if p == ".." else quote(str(p)) for p in parts)


# ---------------------------------------------------------------------------------------------
# Index pages


def index_indicators(info, audience: str, phases: list[str]) -> tuple[dict, str, dict]:
    """What the phase index pages say beside the links, computed from the study.

    Returns
    -------
    tuple
        ``{phase: {place: [(label, value)]}}`` of :func:`analysis.shifts.headline_indicators`,
        a note when they could not be computed, ``{(phase, place or None, notebook):
        sentence}`` for every page that has no data yet (:func:`analysis.absence.page_absent`,
        the same function the pages use), with what would fill it, and, for a study of more than
        :data:`analysis.shifts.MANY_PLACES` places, :func:`index_orders` (else ``{}``).
    """
    from analysis import load_study
    from analysis.absence import PAGE_SOURCES, page_absent
    from analysis.disclosure import for_audience
    from analysis.shifts import has_many_places, headline_indicators, indicator_table

    try:
        s = for_audience(load_study(info.path), audience)
    except Exception as exc:  # noqa: BLE001 -- an index without figures beats no index
        return {}, f"Headline figures could not be computed ({type(exc).__name__}).", {}
    absent = {}
    for ph in phases:
        for stem in PAGE_SOURCES:
            for place in ([None] if stem == "compare_places" else list(s.place_ids)):
                found = page_absent(s, stem, place, ph)
                if found is not None:
                    absent[(ph, place, stem)] = found.reason
    try:
        table = indicator_table(s)
        out = {}
        for ph in phases:
            df = headline_indicators(s, ph, table=table)
            out[ph] = {str(pid): [(str(c), str(v)) for c, v in row.items()] for pid, row in df.iterrows()}
        return out, "", absent, (index_orders(s, table, phases) if has_many_places(s) else {})
    except Exception as exc:  # noqa: BLE001 -- an index without figures beats no index
        return {}, f"Headline figures could not be computed ({type(exc).__name__}).", absent, {}


def index_orders(study, table, phases: list[str]) -> dict:
    """What a many-place phase index sorts by: each place's region, and each headline figure's ranking.

    Returns
    -------
    dict
        ``regions``: ``{place: region or ""}``; ``orders``: ``{phase: [{"label", "hint", "ranks":
        {place: rank}}]}``, one entry per headline indicator (:data:`analysis.shifts.HEADLINE_INDICATORS`)
        measured in the phase, rank 1 the best (the lowest where lower is better; places with the same value
        share the better rank; places without a figure have no rank). Plain values only, so a worker can send
        it to the process that writes the pages.
    """
    import pandas as pd  # here, not at the top: a run with nothing to render imports no pandas

    from analysis.shifts.indicators import CORE_INDICATORS, HEADLINE_INDICATORS

    places = study.places.set_index(study.places["place_id"].astype(str))
    regions = {p: ("" if "region" not in places or pd.isna(places.at[p, "region"]) else str(places.at[p, "region"]))
               for p in study.place_ids}
    orders = {}
    for ph in phases:
        found = []
        for ind, label in HEADLINE_INDICATORS.items():
            rows = table[(table["phase_id"] == ph) & (table["indicator"] == ind) & table["value"].notna()]
            if rows.empty:
                continue
            direction = CORE_INDICATORS[ind].direction
            down = direction == "down is good"
            ranks = rows["value"].rank(method="min", ascending=down).astype(int)
            hint = {"down is good": "lowest first: lower is better", "up is good": "highest first: higher is better"}
            found.append({"label": label, "hint": hint.get(direction, "highest first"),
                          "ranks": {str(p): int(r) for p, r in zip(rows["place_id"], ranks, strict=True)}})
        orders[ph] = found
    return {"regions": regions, "orders": orders}


def _page_entry(phase_dir: Path, failed_dir: Path, audience: str, place_dir: str, stem: str, entry: dict | None,
                absent: str | None) -> dict:
    """One page of a phase index: its link and its state (rendered, failed, no data yet, not rendered)."""
    label = (entry or {}).get("label") or stem.replace("_", " ").capitalize()
    page = {"href": "", "label": label.split(":")[0].strip() or label, "status": "", "status_class": "",
            "note": "", "failed_href": ""}
    exists = (phase_dir / place_dir / f"{stem}.html").exists()
    if exists:
        page["href"] = href(place_dir, f"{stem}.html")
    if exists and (phase_dir / place_dir / f"{stem}.pdf").exists():  # coordination run --pdf (analysis.runner.pdf)
        page["pdf"] = href(place_dir, f"{stem}.pdf")
    if entry is None:
        page.update(status="not rendered yet", status_class="missing")
    elif entry.get("status") != "ok":
        page.update(status="out of date: last run failed" if exists else "failed", status_class="failed")
        if audience == "internal":
            # the research team may read the error; stakeholder pages never show it (it may name an organisation)
            page["note"] = str(entry.get("error") or "")[:300]
            kept = failed_dir / phase_dir.name / place_dir / f"{stem}.ipynb"
            if kept.exists():
                page["failed_href"] = href(*Path(os.path.relpath(kept, phase_dir)).parts)
    if absent and page["status_class"] != "failed":
        page.update(status="no data yet", status_class="absent", note=absent)
    return page


def _page_order(key: str) -> tuple:
    """Sort key of a manifest key ``<place>/<notebook>``: the place's pages in :data:`PAGE_ORDER`."""
    place_dir, stem = key.split("/", 1)
    rank = PAGE_ORDER.index(stem) if stem in PAGE_ORDER and place_dir != CROSS_PLACE_DIR else len(PAGE_ORDER)
    return place_dir, rank, stem


def _anchor(prefix: str, text: str) -> str:
    """An id for an anchor from any text: ``prefix-`` and the text's letters and digits, lower case, hyphens.

    Examples
    --------
    >>> _anchor("by", "VCSE share of board seats")
    'by-vcse-share-of-board-seats'
    """
    slug = re.sub(r"[^0-9a-z]+", "-", text.casefold()).strip("-")
    return f"{prefix}-{slug or 'x'}"


def _lower_first(label: str) -> str:
    """A heading's label inside a sentence: its first letter in lower case, unless the first word is an acronym.

    Examples
    --------
    >>> _lower_first("Network density"), _lower_first("VCSE share of board seats")
    ('network density', 'VCSE share of board seats')
    """
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


def _natural(name: str) -> tuple:
    """A sort key reading numbers as numbers and ignoring case ("Ward 2" before "Ward 10").

    Examples
    --------
    >>> sorted(["Ward 10", "ward 2", "Ash"], key=_natural)
    ['Ash', 'ward 2', 'Ward 10']
    """
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t.casefold()) for t in re.split(r"(\d+)", name) if t)


def many_places_index(info, phase: str, places: list[dict], ordering: dict) -> dict:
    """What a phase index shows for more than :data:`analysis.shifts.MANY_PLACES` places.

    Places grouped by region (regions in name order, places without one last), each group a table of
    the places with their headline figures and links; then the same places pre-sorted, one table per
    order that matters (by name, and by each headline figure, best first), reached by anchor links at
    the top: sorting without scripts.

    Parameters
    ----------
    info : StudyInfo
    phase : str
    places : list of dict
        Per place, in the study's order: ``name``, ``pages`` (the index's page entries, report first)
        and ``indicators`` (``[(label, value text)]``).
    ordering : dict
        :func:`index_orders` (``{}`` when it could not be computed: then one group, sorted by name only).
    """
    regions = (ordering or {}).get("regions", {})
    orders = (ordering or {}).get("orders", {}).get(phase, [])
    columns = list(dict.fromkeys(label for place in places for label, _ in place["indicators"]))
    rows = []
    for pid, place in zip(info.place_ids, places, strict=True):
        values = dict(place["indicators"])
        first = next((pg for pg in place["pages"] if pg.get("href")), None)
        rows.append({"id": pid, "name": place["name"], "href": first["href"] if first else "",
                     "region": regions.get(pid, ""), "pages": place["pages"],
                     "figures": [values.get(c, "–") for c in columns]})
    by_name = sorted(rows, key=lambda r: (_natural(r["name"]), r["id"]))
    groups = {}
    for row in by_name:
        groups.setdefault(row["region"], []).append(row)
    named = sorted((r for r in groups if r), key=str.casefold)
    region_groups = [{"id": _anchor("region", r or "none"), "label": r or "No region given", "rows": groups[r]}
                     for r in named + ([""] if "" in groups else [])]
    tables = [{"id": "by-name", "label": "Places by name", "hint": "A to Z", "rows": by_name, "ranked": False,
               "missing": 0, "sort_column": "Place", "aria_sort": "ascending"}]
    for order in orders:
        ranks = order["ranks"]
        ranked = sorted((r for r in rows if r["id"] in ranks), key=lambda r: (ranks[r["id"]], _natural(r["name"])))
        tables.append({"id": _anchor("by", order["label"]), "label": f"Places by {_lower_first(order['label'])}",
                       "hint": order["hint"], "ranked": True, "missing": len(rows) - len(ranked),
                       "sort_column": order["label"],
                       "aria_sort": "ascending" if order["hint"].startswith("lowest") else "descending",
                       "rows": [dict(r, rank=ranks[r["id"]]) for r in ranked]})
    return {"columns": columns, "regions": region_groups, "tables": tables, "count": len(rows),
            "has_regions": bool(named)}


def write_indexes(info, study_out: Path, audience: str, phases: list[str], version: str,
                  indicators: tuple | None = None, write=atomic_write_text) -> Path:
    """Write the phase index pages for ``phases``, the audience index and the study index.

    Each place's links follow :data:`PAGE_ORDER` (the place report first); the cross-place
    pages are in name order. ``info`` is the runner's :class:`analysis.runner.StudyInfo`;
    ``indicators`` is what :func:`index_indicators` returned for these phases, when it was
    computed already (the runner does so in a worker while the last notebooks run).
    ``write(path, text)`` writes each page (the runner passes its publication gate, which
    leak-checks stakeholder pages and may refuse one).

    Returns
    -------
    pathlib.Path
        The audience's index page.
    """
    from analysis.shifts.many import MANY_PLACES

    rendered, rendered_label = rendered_at_now()
    audience_dir = study_out / audience
    audience_label = AUDIENCE_LABELS.get(audience, audience)
    common = dict(study_name=info.name, fingerprint=info.fingerprint, package_version=version,
                  rendered_at=rendered, rendered_at_label=rendered_label, illustrative=info.illustrative)
    facts = index_indicators(info, audience, phases) if indicators is None else indicators
    facts = tuple(facts)
    indicators, note, absent, ordering = (facts + ({},) * (4 - len(facts)))[:4]
    manifests = {ph: Manifest.load(audience_dir / ph / "manifest.json") for ph in info.phase_ids}
    # every page a phase should have: each notebook ever run for a place, for every place
    place_stems = sorted({k.split("/", 1)[1] for m in manifests.values() for k in m.entries
                          if k.split("/", 1)[0] != CROSS_PLACE_DIR},
                         key=lambda s: _page_order(f"x/{s}"))
    cross_stems = sorted({k.split("/", 1)[1] for m in manifests.values() for k in m.entries
                          if k.split("/", 1)[0] == CROSS_PLACE_DIR})
    failed_dir = study_out / FAILED_DIR / audience
    for ph in phases:
        manifest = manifests[ph]
        phase_dir = audience_dir / ph
        pages: dict = {}
        for place_dir, stems in [(CROSS_PLACE_DIR, cross_stems)] + [(p, place_stems) for p in info.place_ids]:
            for stem in stems:
                reason = absent.get((ph, None if place_dir == CROSS_PLACE_DIR else place_dir, stem))
                pages.setdefault(place_dir, []).append(_page_entry(
                    phase_dir, failed_dir, audience, place_dir, stem, manifest.entries.get(f"{place_dir}/{stem}"),
                    reason))
        all_pages = [pg for group in pages.values() for pg in group]
        failed = sum(1 for pg in all_pages if pg["status_class"] == "failed")
        waiting = sum(1 for pg in all_pages if pg["status_class"] == "missing")
        places = [{"name": info.place_names.get(p, p), "pages": pages.get(p, []),
                   "indicators": indicators.get(ph, {}).get(p, [])} for p in info.place_ids]
        many = None
        if len(info.place_ids) > MANY_PLACES:
            many = many_places_index(info, ph, places, ordering)
            places = []  # the tables of many_places_index list them, grouped and sorted
        phase_label = info.phase_labels.get(ph, ph)
        page = index_page(
            **common, title=f"{phase_label} · {info.name}", kicker=f"{audience_label} reports",
            heading=f"{phase_label}", lede="Every place's report for this phase, and the pages that compare places.",
            phase_label=phase_label, audience_label=audience_label, study_index="../../index.html",
            crumbs=[{"label": audience_label, "href": "../index.html"}, {"label": phase_label, "href": ""}],
            cross_pages=pages.get(CROSS_PLACE_DIR, []), places=places, indicators_note=note, many_places=many,
            failed_count=failed, page_count=len(all_pages), waiting_count=waiting,
            failed_where=(f"Executed notebooks with their errors are kept in {FAILED_DIR}/{audience}/{ph}/; "
                          "each failed page links to its own." if audience == "internal" else ""),
        )
        write(phase_dir / "index.html", page)

    phase_links = [{"label": info.phase_labels.get(ph, ph), "href": href(ph, "index.html"), "note": ""}
                   for ph in info.phase_ids if (audience_dir / ph / "index.html").exists()]
    write(audience_dir / "index.html", index_page(
        **common, title=f"{audience_label} reports · {info.name}", kicker="Reports",
        heading=f"{audience_label} reports", lede="One page per phase of the study, in time order.",
        audience_label=audience_label, study_index="../index.html",
        crumbs=[{"label": audience_label, "href": ""}], links=phase_links, links_heading="Phases"))

    audience_links = [{"label": f"{AUDIENCE_LABELS.get(a, a)} reports", "href": href(a, "index.html"),
                       "note": "Organisations named." if a == "internal"
                       else "Organisations under pseudonyms; small numbers suppressed."}
                      for a in AUDIENCE_LABELS if (study_out / a / "index.html").exists()]
    write(study_out / "index.html", index_page(
        **common, title=info.name, kicker="Coordination in place", heading=info.name,
        lede="Reports of this study, by audience.", study_index="index.html", links=audience_links,
        links_heading="Reports"))
    return audience_dir / "index.html"

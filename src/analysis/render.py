"""Render executed notebooks to self-contained HTML pages, and write the index pages."""

from __future__ import annotations

import datetime as _dt
import functools
import re
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "TEMPLATES_DIR",
    "AUDIENCE_LABELS",
    "CROSS_PLACE_DIR",
    "stylesheet",
    "notebook_title",
    "render_notebook",
    "external_references",
    "index_page",
    "rendered_at_now",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: Folder of a phase that holds the pages about all places together.
CROSS_PLACE_DIR = "all-places"
AUDIENCE_LABELS = {"stakeholder": "Stakeholder", "internal": "Internal (research team)"}

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

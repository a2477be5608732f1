"""The visible text of every page of the example study, against a committed snapshot.

One render of one phase of the example study (every notebook, every place, the cross-place
page and the index pages, for stakeholders) is taken once for this module. Each page is
reduced to the text a reader sees (tags, styles and embedded images stripped, whitespace
folded), with what varies from run to run masked: the time of rendering. The pseudonym key
is fixed, so the stakeholder pseudonyms are the same on every machine.

Work on speed (caches, drawing figures once) must leave every page's text as it was;
a deliberate change of wording updates the snapshot with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import re

import lxml.html
import pytest

from analysis import paths
from analysis.paths import DATA_DIR, NOTEBOOKS_DIR
from analysis.runner import runner

PHASE = "interim"
#: A fixed pseudonym key (32 bytes), so that pseudonyms do not depend on the machine's key file.
FIXED_KEY = bytes(range(32))

#: What changes between two renders of the same data and code.
MASKS = [
    # the time of rendering, as a reader reads it ("30 November 2026, 23:51 UTC") and ISO 8601
    (re.compile(r"(?<!\d)\d{1,2} (January|February|March|April|May|June|July|August|September|October|November"
                r"|December) \d{4}, \d{2}:\d{2}(?: [A-Z][A-Za-z0-9+:-]*)?"), "<RENDERED-AT>"),
    (re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)?"), "<RENDERED-AT>"),
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DATA_DIR / "example" / "study.yml").exists() or not list(NOTEBOOKS_DIR.glob("*.ipynb")),
                       reason="needs data/example and the notebooks in notebooks/"),
]


def visible_text(page: str) -> str:
    """The text a reader sees on ``page``: no tags, styles, scripts or image data; whitespace folded.

    Examples
    --------
    >>> visible_text("<html><style>p {}</style><p>Trust <b>rose</b>\\n  to 74%</p><img src='data:x'></html>")
    'Trust rose to 74%'
    """
    tree = lxml.html.document_fromstring(page)
    for bad in tree.xpath("//style|//script|//noscript"):
        bad.drop_tree()
    text = " ".join(tree.text_content().split())
    for pattern, mask in MASKS:
        text = pattern.sub(mask, text)
    return text


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The example study's ``PHASE`` pages for stakeholders, rendered once: ``{relative path: page text}``."""
    tmp = tmp_path_factory.mktemp("snapshot")
    keys = tmp / "keys"
    keys.mkdir()
    (keys / "example.key").write_bytes(FIXED_KEY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COORDINATION_KEY_DIR", str(keys))  # the kernels read it when they start
        # a fixed string-hash seed in the kernels: some sums run in set order, and a mean of exactly
        # 0.375 then prints as 0.37 or 0.38 from one process to the next
        mp.setenv("PYTHONHASHSEED", "0")
        mp.setattr(paths, "KEYS_DIR", keys)  # and this process, for the index pages
        report = runner.run(study="data/example", out=str(tmp / "out"), phases=[PHASE], jobs=2, timeout=600)
    assert report.exit_status == 0, report.summary()
    root = tmp / "out" / "example"
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.html"))}


def test_every_page_is_rendered(rendered):
    # 3 places x 3 per-place notebooks, the cross-place page, the phase, audience and study indexes
    per_place = [p for p in rendered if p.count("/") == 3 and "all-places" not in p]
    assert len(per_place) == 9, sorted(rendered)
    assert f"stakeholder/{PHASE}/all-places/compare_places.html" in rendered


def test_visible_text_of_every_page_is_unchanged(rendered, snapshot):
    assert {path: visible_text(page) for path, page in rendered.items()} == snapshot

"""The network map as an inline SVG to explore without scripts (analysis.networks.svg, page.svg_figure).

A tiny study whose titles are worked out by hand below, drawn directly and rendered through the
real trust_network notebook; then one phase of the example study, rendered once for this module:
every organisation and tie of its maps has a title, no page runs a script, stakeholder titles
name no organisation that may not be named, and the leak check finds a real name planted in a
title.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from analysis import load_study, page, paths
from analysis.disclosure import for_audience, page_plan
from analysis.leakcheck import check_rendered, check_text, leak_terms
from analysis.networks import trust_network
from analysis.networks.figures import place_layout
from analysis.networks.svg import PROTECTED_MESSAGE, network_map_svg, svg_text
from analysis.paths import DATA_DIR, NOTEBOOKS_DIR
from analysis.runner import runner
from analysis.runner.gate import PublicationGate

SVG = "{http://www.w3.org/2000/svg}"
#: A fixed pseudonym key, so pseudonyms are the same on every machine.
FIXED_KEY = bytes(range(32))

# The tiny study: one place, one phase, disclosure threshold 2; the council may be named.
# Ties (level >= 2) with their trust (the mean of reliability, mission and openness):
#   Food Larder (V1) -> council, level 3, trust 3 (value 2);  Riverside (V2) -> council, level 2, trust 4
#   Hillside (V4) -> council, level 4, trust 2;               council -> Food Larder, level 3, trust 4
#   Health trust -> Food Larder, level 2, trust 1;             the markup-named group (X) -> Riverside, level 2, unrated
#   council -> Hollowbrook (did not answer the survey), level 2, unrated
# By hand, for stakeholders (k = 2):
#   council: names 2 (Food Larder, Hollowbrook), named by 3, trust received (3 + 4 + 2) / 3 = 3.0 from 3 ratings
#   Food Larder: names 1 (council), named by 2, trust (4 + 1) / 2 = 2.5 from 2 ratings
#   Riverside: names 1, named by 1 (unrated): no rating, so "fewer than 2 ratings"; Hillside, health, X: named by 0
#   Hollowbrook: did not answer; named by 1 (unrated): "fewer than 2 ratings"
# The page's plan hides no mean of 2 or more ratings here: the one-rating cells (council -> VCSE,
# health -> VCSE) are only known as their sum, the Food Larder's 5.
MARKUP_NAME = "</title><script>alert(1)</script> Tenants"
ORGS = [("GB-LAE-NTH", "Northtown Borough Council", "local_authority"),
        ("GB-NHS-N01", "North Riding Health Trust", "health"),
        ("GB-CHC-1000001", "Northtown Food Larder", "vcse"),
        ("GB-CHC-1000002", "Riverside Youth Project", "vcse"),
        ("GB-CHC-1000004", "Hillside Advice Centre", "vcse"),
        ("GB-CHC-1000005", MARKUP_NAME, "community_group"),
        ("GB-CHC-1000006", "Hollowbrook Tenants Forum", "vcse")]
# (rater, rated, level, trust rating or "" for unrated, value rating or "")
RATINGS = [("GB-CHC-1000001", "GB-LAE-NTH", 3, 3, 2), ("GB-CHC-1000002", "GB-LAE-NTH", 2, 4, ""),
           ("GB-CHC-1000004", "GB-LAE-NTH", 4, 2, ""), ("GB-LAE-NTH", "GB-CHC-1000001", 3, 4, ""),
           ("GB-NHS-N01", "GB-CHC-1000001", 2, 1, ""), ("GB-CHC-1000005", "GB-CHC-1000002", 2, "", ""),
           ("GB-LAE-NTH", "GB-CHC-1000006", 2, "", "")]


def write_study(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "study.yml").write_text("name: SVG map test\nillustrative: true\ndisclosure_threshold: 2\n"
                                      "nameable:\n- GB-LAE-NTH\n", encoding="utf-8")
    (folder / "places.csv").write_text("place_id,name\nnorth,Northtown\n")
    (folder / "phases.csv").write_text("phase_id,label,start_date,end_date\nspring,Spring,2020-03-01,2020-05-31\n")
    (folder / "organisations.csv").write_text(
        "org_id,name,place_id,sector\n" + "".join(f'{i},"{n}",north,{s}\n' for i, n, s in ORGS), encoding="utf-8")
    (folder / "relationships.csv").write_text(
        "phase_id,org_id,partner_id,level,reliability,mission,openness,influence,involvement,resources\n"
        + "".join(f"spring,{a},{b},{lvl},{t},{t},{t},{v},{v},{v}\n" for a, b, lvl, t, v in RATINGS))
    return folder


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    return load_study(write_study(tmp_path_factory.mktemp("svgmap") / "svgmap"))


def _map(study, audience):
    shown = for_audience(study, audience, key=FIXED_KEY)
    k = 2 if audience == "stakeholder" else 1
    G = trust_network(shown, "north", "spring")
    plan = page_plan(shown, "north", "spring", k)
    return shown, network_map_svg(G, place_layout(shown, "north", seed=1), threshold=k, plan=plan)


def _titles(svg: str, kind: str) -> list[str]:
    """The title of every ``cip-<kind>`` group of a standalone or inline SVG, as text (entities decoded)."""
    root = lxml.etree.fromstring(svg.encode("utf-8"))  # well-formed XML, or this raises
    groups = root.findall(f".//{SVG}g[@class='cip-{kind}']")
    return [g.findtext(f"{SVG}title") for g in groups]


def _names(shown) -> dict[str, str]:
    return dict(zip(shown.organisations["org_id"], shown.organisations["name"], strict=True))


def test_each_organisation_has_a_title_worked_out_by_hand(tiny_study):
    shown, m = _map(tiny_study, "stakeholder")
    names = _names(shown)
    titles = _titles(m.svg(), "node")
    assert len(titles) == 7 and all(titles)
    by_name = {t.splitlines()[0]: t for t in titles}
    assert set(by_name) == set(names.values())
    council, larder = names["GB-LAE-NTH"], names["GB-CHC-1000001"]
    assert council == "Northtown Borough Council"  # nameable: its own name
    assert by_name[council] == "\n".join([
        "Northtown Borough Council", "Sector: Council",
        f"Names 2 partners: {', '.join(sorted([larder, names['GB-CHC-1000006']], key=str.casefold))}",
        "Named as a partner by 3 organisations", "Trust received: 3.0 on a 1 to 4 scale, from 3 ratings"])
    assert by_name[larder] == "\n".join([
        larder, "Sector: VCSE", "Names 1 partner: Northtown Borough Council", "Named as a partner by 2 organisations",
        "Trust received: 2.5 on a 1 to 4 scale, from 2 ratings"])
    assert by_name[names["GB-CHC-1000002"]].endswith(
        "Named as a partner by 1 organisation\nTrust received: not shown (fewer than 2 ratings)")
    assert by_name[names["GB-CHC-1000006"]] == "\n".join([
        names["GB-CHC-1000006"], "Sector: VCSE",
        "Did not answer the survey in this phase, so the partners it would name are not known",
        "Named as a partner by 1 organisation", "Trust received: not shown (fewer than 2 ratings)"])
    assert by_name[names["GB-NHS-N01"]] == "\n".join([
        names["GB-NHS-N01"], "Sector: NHS and health", f"Names 1 partner: {larder}",
        "Named as a partner by 0 organisations", "Trust received: not shown (fewer than 2 ratings)"])
    # the most named first: what a screen reader meets first
    assert [t.splitlines()[0] for t in titles][:2] == [council, larder]


def test_each_tie_has_its_levels_and_its_rating_only_where_the_page_may_show_it(tiny_study):
    shown, m = _map(tiny_study, "stakeholder")
    names = _names(shown)
    ties = _titles(m.svg(), "tie")
    assert len(ties) == 7
    larder = names["GB-CHC-1000001"]
    assert (f"{larder} names Northtown Borough Council as a partner: coordination (level 3 of 4)\n"
            f"Northtown Borough Council names {larder} too: coordination (level 3 of 4)") in ties
    assert (f"Northtown Borough Council names {names['GB-CHC-1000006']} as a partner: cooperation (level 2 of 4)\n"
            f"{names['GB-CHC-1000006']} does not name Northtown Borough Council (it did not answer the survey)") in ties
    assert not any("trust" in t.lower() for t in ties)  # one respondent's rating: fewer than 2
    assert m.data.columns.tolist() == ["from_organisation", "to_organisation", "level", "level_label"]
    # internal pages (threshold 1) show the rating itself: trust 3 and value 2 from the Food Larder
    _, internal = _map(tiny_study, "internal")
    tie = next(t for t in _titles(internal.svg(), "tie") if t.startswith("Northtown Food Larder names Northtown"))
    assert tie.endswith("This rating: trust 3.0 and value 2.0 on a 1 to 4 scale")
    node = next(t for t in _titles(internal.svg(), "node") if t.startswith("Riverside Youth Project"))
    assert node.endswith("Named as a partner by 1 organisation\nTrust received: no ratings")


def test_a_trust_mean_the_plan_hides_to_protect_another_says_so(tiny_study):
    shown = for_audience(tiny_study, "stakeholder", key=FIXED_KEY)
    G = trust_network(shown, "north", "spring")

    class Plan:  # hides the council's mean as a secondary cell, as TrustPagePlan's plan would
        class plan:  # noqa: N801 -- mirrors TrustPagePlan.plan
            @staticmethod
            def reason(key):
                return "secondary" if key == ("organisation", "GB-LAE-NTH") else None

    m = network_map_svg(G, place_layout(shown, "north", seed=1), threshold=2, plan=Plan())
    council = next(t for t in _titles(m.svg(), "node") if t.startswith("Northtown Borough Council"))
    assert council.endswith("Trust received: not shown, so that a small number elsewhere on the page cannot be "
                            "worked out")
    row = m.table[m.table["Organisation"] == "Northtown Borough Council"].iloc[0]
    assert row["Trust received (1 to 4)"] == row["Ratings"] == PROTECTED_MESSAGE
    assert "3.0" not in council


def test_a_tie_between_overlapping_dots_keeps_its_title():
    import networkx as nx

    G = nx.DiGraph(place_name="P", phase_label="Q")
    for v in "abc":
        G.add_node(v, name=f"VCSE 0{'abc'.index(v) + 1}", sector_group="vcse", responded=True)
    G.add_edge("a", "b", level=2, trust=3.0, value=3.0)  # a and b drawn on the same spot
    G.add_edge("b", "c", level=4, trust=3.0, value=3.0)
    m = network_map_svg(G, {"a": (0.0, 0.0), "b": (0.0, 0.0), "c": (1.0, 1.0)})
    ties = _titles(m.svg(), "tie")
    assert sorted(t.splitlines()[0] for t in ties) == ["VCSE 01 names VCSE 02 as a partner: cooperation (level 2 of 4)",
                                                       "VCSE 02 names VCSE 03 as a partner: integration (level 4 of 4)"]


def test_the_details_table_lists_the_same_organisations_as_the_nodes(tiny_study):
    _, m = _map(tiny_study, "stakeholder")
    titles = {t.splitlines()[0]: t for t in _titles(m.svg(), "node")}
    assert sorted(m.table["Organisation"]) == sorted(titles)
    for row in m.table.to_dict("records"):
        title = titles[row["Organisation"]]
        assert f"Sector: {row['Sector']}" in title
        assert f"Named as a partner by {row['Named as a partner by']} organisation" in title
        if row["Answered the survey"] == "yes":
            assert (f"Names {row['Partners it names']} partner" in title) or \
                (row["Partners it names"] == 0 and "Names no partner" in title)
        if row["Ratings"].isdigit():
            assert f"Trust received: {row['Trust received (1 to 4)']} on a 1 to 4 scale, from {row['Ratings']} " \
                   "rating" in title
        else:
            assert row["Trust received (1 to 4)"] == row["Ratings"] == "fewer than 2 ratings"
            assert "Trust received: not shown (fewer than 2 ratings)" in title
    html = page.details(m.details_summary, page.table(m.table, caption=m.table_caption))
    tree = lxml.html.fromstring(html)
    assert tree.tag == "details" and tree.find("summary").text == "The 7 organisations on the map, as a table"
    cells = [[c.text_content() for c in tr.findall("td")] for tr in tree.iter("tr") if tr.findall("td")]
    assert [c[0] for c in cells] == m.table["Organisation"].tolist()
    assert ["Northtown Borough Council", "Council", "yes", "2", "3", "3.0", "3"] in cells


def test_a_name_that_is_markup_comes_out_as_text(tiny_study):
    _, m = _map(tiny_study, "internal")
    svg = m.svg()
    assert "<script" not in svg and "</title><script>" not in svg
    assert svg_text(MARKUP_NAME) in svg  # escaped, in its title (and nowhere raw)
    root = lxml.etree.fromstring(svg.encode("utf-8"))
    assert not list(root.iter(f"{SVG}script", "script"))
    assert any(t.splitlines()[0] == MARKUP_NAME for t in _titles(svg, "node"))  # read back as the text it is
    # in a page, as an HTML parser reads it: still no script element, the name is a title's text
    figure = page.svg_figure(m, "Who works with whom")
    tree = lxml.html.fromstring(f"<div>{figure}</div>")
    assert not tree.xpath("//script")
    assert MARKUP_NAME in [t.text.splitlines()[0] for t in tree.xpath("//g[@class='cip-node']/title")]


def test_svg_figure_writes_the_svg_and_png_and_gives_the_map_its_description(tiny_study, tmp_path):
    _, m = _map(tiny_study, "stakeholder")
    html = page.svg_figure(m, "Caption <b>", directory=tmp_path, name="trust-network", finding="A finding.")
    tree = lxml.html.fromstring(f"<div>{html}</div>")
    svg = tree.xpath("//svg")[0]
    assert svg.get("role") == "group"
    title = tree.xpath(f"//*[@id='{svg.get('aria-labelledby')}']")[0]
    desc = tree.xpath(f"//*[@id='{svg.get('aria-describedby')}']")[0]
    assert title.tag == "title" and title.text == "Who works with whom: Northtown, Spring"
    assert desc.text.startswith("Network map of Northtown, Spring: 7 organisations drawn as dots coloured by sector "
                                "(1 Council, 1 NHS and health, 5 VCSE) and 7 working ties")
    assert desc.text.endswith("A finding.")
    assert tree.xpath("//figcaption")[0].text == "Caption <b>"
    saved = (tmp_path / "trust-network.svg").read_text(encoding="utf-8")
    assert saved.startswith('<?xml version="1.0" encoding="utf-8"?>') and len(_titles(saved, "node")) == 7
    assert (tmp_path / "trust-network.png").read_bytes()[:4] == b"\x89PNG"


def test_the_leak_check_finds_a_real_name_planted_in_a_title(tiny_study, tmp_path):
    shown, m = _map(tiny_study, "stakeholder")
    figure = str(page.svg_figure(m, "Who works with whom"))
    assert check_text(tiny_study, figure, kind="html") == []  # as drawn: pseudonyms only
    pseudonym = _names(shown)["GB-CHC-1000002"]
    marker = f'<g class="cip-node" role="img"><title>{pseudonym}\n'
    assert figure.count(marker) == 1
    planted = figure.replace(marker, '<g class="cip-node" role="img"><title>Riverside Youth Project\n')
    assert planted.count("Riverside Youth Project") == 1  # only in that title
    found = check_text(tiny_study, planted, kind="html")
    assert [(f.kind, f.where) for f in found] == [("organisation name", "SVG embedded in HTML metadata")]
    (tmp_path / "page.html").write_text(planted, encoding="utf-8")
    assert [f.kind for f in check_rendered(tiny_study, tmp_path / "page.html")] == ["organisation name"]
    # and the publication gate will not publish it into a stakeholder folder
    gate = PublicationGate(tmp_path / "out", lambda: leak_terms(tiny_study))
    assert not gate.write_text(tmp_path / "out" / "stakeholder" / "spring" / "north" / "trust_network.html", planted)
    assert [r.kind for r in gate.refused] == ["organisation name"]
    # a planted organisation identifier is found too
    with_id = figure.replace(marker, f'<g class="cip-node" role="img"><title>{pseudonym} (GB-CHC-1000002)\n')
    assert [f.kind for f in check_text(tiny_study, with_id, kind="html")] == ["organisation identifier"]


# ---------------------------------------------------------------------------------------------
# Rendered pages: the tiny study through the real notebook, and one phase of the example study


def _keyed_run(tmp: Path, **kwargs):
    keys = tmp / "keys"
    keys.mkdir(exist_ok=True)
    for name in ("svgmap", "example"):
        (keys / f"{name}.key").write_bytes(FIXED_KEY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COORDINATION_KEY_DIR", str(keys))
        mp.setattr(paths, "KEYS_DIR", keys)
        return runner.run(out=str(tmp / "out"), **kwargs)


@pytest.fixture(scope="module")
def tiny_page(tmp_path_factory, tiny_study):
    tmp = tmp_path_factory.mktemp("svgmap-site")
    nbs = tmp / "nbs"
    nbs.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "trust_network.ipynb", nbs)
    report = _keyed_run(tmp, study=str(tiny_study.path), notebooks=str(nbs), jobs=1)
    assert report.exit_status == 0, report.summary()  # through the publication gate
    return (tmp / "out" / "svgmap" / "stakeholder" / "spring" / "north" / "trust_network.html").read_text("utf-8")


def _maps(text: str):
    return lxml.html.fromstring(text).xpath("//svg[contains(@class, 'cip-map')]")


@pytest.mark.slow
def test_the_rendered_page_has_the_map_and_its_table_as_drawn(tiny_study, tiny_page):
    shown, m = _map(tiny_study, "stakeholder")
    (svg,) = _maps(tiny_page)
    nodes = [g.findtext("title") for g in svg.xpath(".//g[@class='cip-node']")]
    assert nodes == _titles(m.svg(), "node")
    details = lxml.html.fromstring(tiny_page).xpath("//details[@class='cip-details']")
    assert len(details) == 1
    rows = [[c.text_content() for c in tr.findall("td")] for tr in details[0].iter("tr") if tr.findall("td")]
    assert sorted(r[0] for r in rows) == sorted(t.splitlines()[0] for t in nodes)
    assert "<script" not in tiny_page.lower()


@pytest.fixture(scope="module")
def example_pages(tmp_path_factory):
    """The example study's interim pages for stakeholders, rendered once: ``{relative path: text}``."""
    if not (DATA_DIR / "example" / "study.yml").is_file():
        pytest.skip("data/example is not generated")
    tmp = tmp_path_factory.mktemp("svgmap-example")
    report = _keyed_run(tmp, study="data/example", phases=["interim"], jobs=2)
    assert report.exit_status == 0, report.summary()
    root = tmp / "out" / "example"
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.html"))}


@pytest.mark.slow
def test_every_organisation_and_tie_on_the_example_maps_has_a_title(example_pages):
    study = load_study(DATA_DIR / "example")
    shown = for_audience(study, "stakeholder", key=FIXED_KEY)
    checked = 0
    for place in shown.place_ids:
        (svg,) = _maps(example_pages[f"stakeholder/interim/{place}/trust_network.html"])
        G = trust_network(shown, place, "interim")
        nodes = [g.findtext("title") or "" for g in svg.xpath(".//g[@class='cip-node']")]
        ties = [g.findtext("title") or "" for g in svg.xpath(".//g[@class='cip-tie']")]
        assert len(nodes) == G.number_of_nodes() and all(t.strip() for t in nodes)
        assert len(ties) == G.number_of_edges() and all(" names " in t for t in ties)
        assert sorted(t.splitlines()[0] for t in nodes) == sorted(G.nodes[v]["name"] for v in G)
        # every shape a reader can point at is inside a titled group
        for shape in svg.xpath(".//circle[not(ancestor::g[@class='cip-legend'])] | .//g[@class='cip-ties']//path"):
            group = shape.getparent()
            assert group.get("class") in ("cip-node", "cip-tie") and group.findtext("title")
        checked += len(nodes)
    assert checked == len(shown.organisations)  # every organisation of the study is on its place's map


@pytest.mark.slow
def test_stakeholder_titles_name_no_organisation_that_may_not_be_named(example_pages):
    study = load_study(DATA_DIR / "example")
    terms = leak_terms(study)
    nameable = set(terms["allowed"])
    for place in study.place_ids:
        (svg,) = _maps(example_pages[f"stakeholder/interim/{place}/trust_network.html"])
        titles = "\n".join(t.text or "" for t in svg.iter("title"))
        assert check_text(text=titles, terms=terms) == []
        shown_names = {t.text.splitlines()[0] for t in svg.xpath(".//g[@class='cip-node']/title")}
        assert shown_names & nameable  # the council keeps its name
        assert all(n in nameable or re.fullmatch(r".+ \d{2,}", n) for n in shown_names), shown_names


_EVENT_ATTRIBUTE = re.compile(r"^on[a-z]+$", re.I)


@pytest.mark.slow
def test_no_page_of_the_example_study_runs_a_script(example_pages):
    assert len(example_pages) >= 3 * 3 + 1
    for name, text in example_pages.items():
        tree = lxml.html.fromstring(text)
        assert not tree.xpath("//script"), name
        handlers = [(el.tag, a) for el in tree.iter() if isinstance(el.tag, str) for a in el.attrib
                    if _EVENT_ATTRIBUTE.match(a)]
        assert handlers == [], name
        assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*javascript:""", text, re.I), name

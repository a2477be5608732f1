"""Network figures: one layout per place, titles and alt text, escaped labels, disclosure; the notebook."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from analysis import study_from_tables
from analysis.networks import trust_network
from analysis.networks.figures import (
    group_trust_table,
    network_layout,
    network_map,
    phase_small_multiples,
    place_layout,
    trust_heatmap,
    trust_received_chart,
)
from analysis.paths import DATA_DIR, NOTEBOOKS_DIR
from analysis.style import figure_bytes, save_figure
from tests.helpers import tiny_tables

NOTEBOOK = NOTEBOOKS_DIR / "trust_network.ipynb"


@pytest.fixture
def tiny_with_markup():
    """The tiny study with an organisation whose name is markup."""
    tables = tiny_tables()
    orgs = tables["organisations"].copy()
    orgs.loc[orgs["org_id"] == "GB-CHC-0000007", "name"] = "<script>alert(1)</script> & Co"
    tables["organisations"] = orgs
    return study_from_tables(tables)


def test_place_layout_is_fixed_across_phases_and_seeded(tiny_with_markup):
    pos = place_layout(tiny_with_markup, "north", seed=2)
    # every organisation of the place, whether or not it has a tie in a phase
    assert set(pos) == {"GB-LAE-NTH", "GB-NHS-N01", "GB-CHC-0000007", "007"}
    assert pos == place_layout(tiny_with_markup, "north", seed=2)
    for phase in tiny_with_markup.phase_ids:
        assert set(trust_network(tiny_with_markup, "north", phase)) <= set(pos)


def test_network_layout_puts_isolates_in_a_row_below():
    G = nx.DiGraph([(1, 2), (2, 3), (3, 1)])
    G.add_nodes_from([4, 5])
    pos = network_layout(G, seed=1)
    tied_bottom = min(pos[v][1] for v in (1, 2, 3))
    assert pos[4][1] == pos[5][1] < tied_bottom


def test_network_map_has_title_alt_text_and_escaped_labels(tiny_with_markup):
    G = trust_network(tiny_with_markup, "north", "before")
    fig = network_map(G, place_layout(tiny_with_markup, "north"), label="all")
    assert fig.title_text == "Who works with whom: Northtown, Before"
    assert "4 organisations" in fig.alt_text and "1 working tie drawn" in fig.alt_text
    svg = figure_bytes(fig, "svg").decode("utf-8")
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in svg


def test_network_map_draws_non_respondents_hollow_and_says_so(tiny_with_markup):
    G = trust_network(tiny_with_markup, "north", "during")  # the health trust and the food bank did not answer
    fig = network_map(G)
    assert "2 organisations that did not answer the survey are drawn hollow" in fig.alt_text


def test_phase_small_multiples_one_panel_per_phase(tiny_with_markup, tmp_path):
    fig = phase_small_multiples(tiny_with_markup, "north", highlight="during")
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert [t.splitlines()[0] for t in titles] == ["Before", "During (this report)"]
    assert "one per phase" in fig.alt_text
    written = save_figure(fig, tmp_path, "trust-network-phases")
    assert [p.suffix for p in written] == [".png", ".svg"] and all(p.stat().st_size > 0 for p in written)


def heatmap_graph():
    G = nx.DiGraph()
    groups = {"c1": "council", "v1": "vcse", "v2": "vcse", "v3": "vcse", "h1": "health"}
    for v, g in groups.items():
        G.add_node(v, sector_group=g, name=v)
    for v in ("v1", "v2", "v3"):
        G.add_edge(v, "c1", trust=3.0)  # vcse -> council: 3 ratings
    G.add_edge("c1", "v1", trust=2.0)  # council -> vcse: 1 rating
    G.add_edge("v1", "v2", trust=4.0)
    G.add_edge("v2", "v3", trust=2.0)  # vcse -> vcse: 2 ratings, mean 3
    G.add_edge("h1", "v1", trust=1.0)
    return G


def test_group_trust_table_by_hand():
    table = group_trust_table(heatmap_graph())
    got = {(r.from_group, r.to_group): (r.mean, r.n) for r in table.itertuples()}
    assert got == {("council", "vcse"): (2.0, 1), ("health", "vcse"): (1.0, 1),
                   ("vcse", "council"): (3.0, 3), ("vcse", "vcse"): (3.0, 2)}


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_trust_heatmap_shows_values_with_n_and_hides_small_cells():
    shown = _texts(trust_heatmap(heatmap_graph(), threshold=1))
    assert "3.0\nn=3" in shown and "2.0\nn=1" in shown
    hidden = _texts(trust_heatmap(heatmap_graph(), threshold=3))
    # three cells rest on fewer than 3 ratings; only vcse -> council (n=3) is shown
    assert "3.0\nn=3" in hidden
    assert hidden.count("fewer than\n3 ratings") == 3
    assert not any(t.startswith("2.0") or t.startswith("1.0") for t in hidden)


def test_trust_heatmap_secondary_suppression_when_one_cell_is_hidden():
    G = heatmap_graph()
    G.remove_edge("c1", "v1")
    G.remove_edge("h1", "v1")
    G.add_edge("v1", "v3", trust=4.0)  # vcse -> vcse now 3 ratings; vcse -> council 3
    G.add_edge("h1", "c1", trust=2.0)  # health -> council: the one small cell
    texts = _texts(trust_heatmap(G, threshold=2))
    assert texts.count("fewer than\n2 ratings") == 2  # the small cell and one other


def test_trust_received_chart_leaves_out_organisations_with_few_ratings():
    G = heatmap_graph()
    fig = trust_received_chart(G, threshold=2)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    # c1 has 3 ratings; v1 has 2 (council, health); v2 and v3 have 1 each
    assert labels == ["v1", "c1"]  # lowest at the bottom: v1 mean 1.5, c1 mean 3.0
    assert "2 organisations rated by fewer than 2 partners are not shown" in fig.alt_text


# -- the notebook ---------------------------------------------------------------------------------

def test_notebook_is_clean_and_thin():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    params = "".join(code[0]["source"])
    for name in ("study", "place", "phase", "audience", "figures_dir"):
        assert f"{name} =" in params
    for cell in code:
        source = "".join(cell["source"])
        assert not cell.get("outputs") and cell.get("execution_count") is None
        assert "def " not in source and "class " not in source
    # the page shows the study as its audience may see it (analysis.disclosure.study_for_page applies for_audience)
    assert "s = study_for_page(study, audience)" in "".join("".join(c["source"]) for c in code)


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["baseline", "interim"])
def test_notebook_runs_under_papermill(tmp_path, phase):
    import papermill

    if not (DATA_DIR / "example" / "study.yml").is_file():
        pytest.skip("data/example is not generated")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(out), cwd=str(NOTEBOOKS_DIR), progress_bar=False,
        parameters={"place": "coventry", "phase": phase, "figures_dir": str(tmp_path / "figures")},
    )
    text = out.read_text(encoding="utf-8")
    for name in ("trust-network", "trust-heatmap", "trust-received", "trust-network-phases"):
        assert (tmp_path / "figures" / f"{name}.png").is_file()
        assert (tmp_path / "figures" / f"{name}.svg").is_file()
    if phase == "baseline":
        assert "first phase of the study, so there is no earlier phase" in text
    else:
        assert "Since the previous phase" in text and "Between Emergency" in text

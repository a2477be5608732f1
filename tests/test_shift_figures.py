"""Tests of analysis.shifts.figures: each figure builds, carries title and alt text, and colours right."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis import study_from_tables
from analysis.shifts import figures as sf
from analysis.style import figure_html


def tables():
    D = pd.DataFrame
    return {
        "places": D({"place_id": ["a", "b"], "name": ["Alpha <i>", "Beta"], "population": [100, 200]}),
        "phases": D({"phase_id": ["p1", "p2"], "label": ["One", "Two"],
                     "start_date": ["2020-01-01", "2020-03-01"], "end_date": ["2020-02-01", "2020-04-30"]}),
        "organisations": D({"org_id": ["c", "v", "w", "d"], "name": list("CVWD"), "place_id": ["a", "a", "a", "b"],
                            "sector": ["local_authority", "vcse", "vcse", "local_authority"]}),
        "relationships": D({"phase_id": ["p1", "p2", "p2"], "org_id": ["c", "c", "v"], "partner_id": ["v", "v", "c"],
                            "level": [2, 2, 2], "reliability": [2, 3, 3], "mission": [2, 3, 3], "openness": [2, 3, 3]}),
        "themes": D({"theme_id": ["trust"], "label": ["Trust"], "dimension": ["attitudes"]}),
        "evidence": D({"evidence_id": ["e1", "e2"], "place_id": ["a", "a"], "phase_id": ["p1", "p2"],
                       "source": ["i"] * 2, "kind": ["threat", "threat"], "theme_id": ["trust"] * 2,
                       "summary": ["x", "y"]}),
        "survey_items": D({"item_id": ["q1"], "text": ["I trust"], "theme_id": ["trust"]}),
        "survey_responses": D({"phase_id": ["p2"] * 6, "respondent_id": [f"r{i}" for i in range(6)],
                               "org_id": ["c", "v", "w", "c", "v", "d"], "item_id": ["q1"] * 6,
                               "score": [4, 5, 3, 4, 4, 2]}),
        # a: 30 days in p1, 10 days in p2 (faster: better)
        "grants": D({"Identifier": ["g1", "g2"], "Title": ["t", "t"], "Currency": ["GBP"] * 2,
                     "Amount Awarded": [100, 100], "Award Date": ["2020-01-31", "2020-03-11"],
                     "Application Date": ["2020-01-01", "2020-03-01"],
                     "Recipient Org:Identifier": ["v", "v"], "Recipient Org:Name": ["V", "V"],
                     "Funding Org:Identifier": ["F", "F"], "Funding Org:Name": ["F", "F"]}),
    }


@pytest.fixture(scope="module")
def study():
    return study_from_tables(tables())


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def cell_colour(fig, row_label, column):
    """RGBA of a scorecard cell, read from the image the figure draws."""
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    row = next(i for i, lab in enumerate(labels) if lab.startswith(row_label))
    image = ax.images[0]
    value = image.get_array()[row, column]
    if np.ma.is_masked(value):
        return None
    return image.cmap(image.norm(value))


def test_scorecard_blue_is_better_whatever_the_direction(study):
    fig = sf.scorecard_heatmap(study, "p2")
    assert fig.alt_text and "Shift scorecard" in fig.title_text
    trust = cell_colour(fig, "Mean trust", 0)  # 50% -> 75%: up, up is good
    days = cell_colour(fig, "Median days to award", 0)  # 30 -> 10 days: down, down is good
    threats = cell_colour(fig, "Threats recorded", 0)  # 1 -> 1: no change
    for colour in (trust, days):
        r, g, b, _ = colour
        assert b > r, "a change for the better is blue"
    r, g, b, _ = threats
    assert abs(r - b) < 0.1  # the centre of the scale
    assert cell_colour(fig, "Mean trust", 1) is None  # Beta has no ties: grey, no colour


def test_scorecard_annotates_values_in_units(study):
    fig = sf.scorecard_heatmap(study, "p2")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "75%\n(+25 pts)" in texts
    assert "10 days\n(\u221220 days)" in texts


def test_scorecard_first_phase_says_no_change(study):
    fig = sf.scorecard_heatmap(study, "p1")
    assert "first phase" in fig.alt_text
    assert all(np.ma.getmaskarray(fig.axes[0].images[0].get_array()).ravel())


def test_small_multiples_one_panel_per_indicator(study):
    fig = sf.indicator_small_multiples(study, indicators=["network_density", "mean_trust", "median_days_to_award"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    assert len(visible[0].lines) == 2  # one line per place
    assert "higher is better" in visible[0].get_title(loc="left")
    assert "lower is better" in visible[2].get_title(loc="left")


def test_themes_heatmap_needs_place_or_phase(study):
    with pytest.raises(ValueError):
        sf.themes_heatmap(study)
    fig = sf.themes_heatmap(study, phase="p2")
    assert "coded observations" in fig.alt_text
    fig = sf.themes_heatmap(study, place="a", phase="p2")
    assert [t.get_text() for t in fig.axes[2].texts] == ["1", "1"]  # threats in p1 and p2


def test_survey_plot_marks_suppressed_cells(study):
    fig = sf.survey_theme_plot(study, "p2")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("fewer than 5 respondents" in t for t in texts)  # Beta: 1 respondent
    assert fig.alt_text


def test_figure_html_escapes_place_names(study):
    page = figure_html(sf.survey_theme_plot(study, "p2", places=["a"]), caption="Alpha <i>")
    assert "<i>" not in page.replace('<img', '')

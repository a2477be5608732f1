"""Helpers the tests import: a tiny valid study as tables, writing a study folder, fixture notebooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

from analysis.paths import DATA_DIR

EXAMPLE_DIR = DATA_DIR / "example"
FIXTURE_NOTEBOOKS = Path(__file__).parent / "fixtures" / "notebooks"


def copy_fixture_notebooks(folder: Path, *names: str) -> Path:
    """Copy the named fixture notebooks (tests/fixtures/notebooks) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(FIXTURE_NOTEBOOKS / f"{name}.ipynb", folder / f"{name}.ipynb")
    return folder


def tiny_tables() -> dict[str, pd.DataFrame]:
    """A tiny, valid study as a spreadsheet would hold it (every value a string).

    Two places; two phases; north has a council, a health body and two VCSE organisations.
    """
    def S(rows, cols):
        return pd.DataFrame(rows, columns=cols)

    return {
        "places": S(
            [["north", "Northtown", "E08000026", "Metropolitan District", "379387"],
             ["south", "Southville", "E09000029", "London Borough", "207707"]],
            ["place_id", "name", "ons_code", "area_type", "population"],
        ),
        "phases": S(
            [["before", "Before", "2019-04-01", "2020-03-15", "recalled"],
             ["during", "During", "16/03/2020", "30/06/2020", "emergency"]],
            ["phase_id", "label", "start_date", "end_date", "description"],
        ),
        "organisations": S(
            [["GB-LAE-NTH", "Northtown Council", "north", "local_authority", "major"],
             ["GB-NHS-N01", "North Health Trust", "north", "health", "major"],
             ["GB-CHC-0000007", "North Food Bank", "north", "vcse", "small"],
             ["007", "North Youth Club", "north", "community_group", "micro"],
             ["GB-LAE-STH", "Southville Council", "south", "local_authority", "major"],
             ["GB-CHC-0000008", "South Advice", "south", "vcse", "medium"]],
            ["org_id", "name", "place_id", "sector", "size"],
        ),
        "relationships": S(
            [["before", "GB-LAE-NTH", "GB-CHC-0000007", "2", "3", "3", "3", "2", "2", "2", "monthly"],
             ["before", "GB-CHC-0000007", "GB-LAE-NTH", "1", "2", "2", "2", "4", "3", "4", "quarterly"],
             ["during", "GB-LAE-NTH", "GB-CHC-0000007", "3", "4", "4", "4", "3", "3", "3", "weekly"],
             ["during", "007", "GB-NHS-N01", "0", "", "", "", "", "", "", "never"],
             ["during", "GB-CHC-0000008", "GB-LAE-STH", "2", "3", "", "4", "", "", "", "monthly"]],
            ["phase_id", "org_id", "partner_id", "level", "reliability", "mission", "openness",
             "influence", "involvement", "resources", "frequency"],
        ),
        "boards": S(
            [["before", "north", "Recovery Board", "GB-LAE-NTH", "chair"],
             ["during", "north", "Recovery Board", "GB-CHC-0000007", "member"]],
            ["phase_id", "place_id", "board", "org_id", "role"],
        ),
        "themes": S(
            [["trust", "Trust", "attitudes", ""], ["funding_process", "Funding process", "funding", ""]],
            ["theme_id", "label", "dimension", "description"],
        ),
        "evidence": S(
            [["E1", "north", "during", "interview-01", "shift", "trust", "positive", "emerging",
              "Partners speak more openly", "We just picked up the phone", "true"]],
            ["evidence_id", "place_id", "phase_id", "source", "kind", "theme_id", "direction",
             "status", "summary", "quote", "consent"],
        ),
        "survey_items": S(
            [["Q1", "I trust partners", "trust", "false"], ["Q2", "Funding is slow", "funding_process", "true"]],
            ["item_id", "text", "theme_id", "reverse"],
        ),
        "survey_responses": S(
            [["during", "R001", "GB-CHC-0000007", "Q1", "4"], ["during", "R001", "GB-CHC-0000007", "Q2", ""]],
            ["phase_id", "respondent_id", "org_id", "item_id", "score"],
        ),
        "grants": S(
            [["360G-x-1", "Food parcels", "GBP", "£1,250.50", "20/04/2020", "GB-CHC-0000007", "North Food Bank",
              "GB-LAE-NTH", "Northtown Council", "2020-04-06", "fast_track", ""],
             ["360G-x-2", "Advice line", "GBP", "5000", "2019-06-01", "GB-CHC-9999999", "Elsewhere Trust",
              "GB-LAE-STH", "Southville Council", "", "open_call", "E09000029"]],
            ["Identifier", "Title", "Currency", "Amount Awarded", "Award Date", "Recipient Org:Identifier",
             "Recipient Org:Name", "Funding Org:Identifier", "Funding Org:Name", "Application Date",
             "Award Process", "Beneficiary Location:Geographic Code"],
        ),
    }


TINY_SETTINGS = {"name": "Tiny study", "description": "for tests", "illustrative": True,
                 "tie_min_level": 2, "disclosure_threshold": 5}


def write_study(folder: Path, tables: dict[str, pd.DataFrame], settings: dict | None = None) -> Path:
    """Write tables as CSVs and a study.yml into ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yml").write_text(yaml.safe_dump(settings or TINY_SETTINGS), encoding="utf-8")
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder

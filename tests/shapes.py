"""Study shapes for the tests: small studies as real ones start, sparse and uneven.

Each shape is a study folder written as CSV files. Real studies start with the councils only,
then add grants, a network survey, a survey or coded interviews; some places have one
organisation, some phases have no data. Every page of every notebook must render for each.

Several shapes share one study where they can (one place per shape), so that rendering them
all stays quick:

======  ============================================================================
study   shapes it carries
======  ============================================================================
bare    (a) places, phases and organisations only; (f) two organisations, no ratings
grants  (b) that plus grants only (one grant dated before the first phase)
network (c) a network survey only; (f) one organisation in a place; (g) a phase
        with no data at all (nobody rated anyone in the second phase)
survey  (d) a survey only; (g) a place with no data in one phase
evidence (e) coded evidence only
single  (h) a single phase; (i) twelve places; (j) names in non-Latin scripts and
        200-character names, with every table filled
======  ============================================================================
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import yaml

__all__ = ["Shape", "SHAPES", "LONG_NAME", "NON_LATIN", "write_shapes"]

#: A 200-character place name, and organisation names in non-Latin scripts.
LONG_NAME = ("Upper and Lower Long Name-on-the-Water with Little Snoring, Great Snoring, Wells-next-the-Sea "
             "and the Villages of the Glaven Valley in the County of Norfolk "
             "and the Waveney District Council Area, 2020")
assert len(LONG_NAME) == 200, len(LONG_NAME)
NON_LATIN = {"place": "Θεσσαλονίκη 東京 Київ", "council": "Δημοτικό Συμβούλιο Θεσσαλονίκης",
             "vcse": "Благодійний фонд «Надія»", "health": "東京保健センター", "arabic": "جمعية الأمل الخيرية"}

PHASES_2 = [("first", "First wave", "2020-03-01", "2020-06-30"), ("second", "Second wave", "2020-07-01", "2020-12-31")]


@dataclasses.dataclass(frozen=True)
class Shape:
    """A study of the shape suite: its folder name, the shapes it carries, and what a run renders."""

    name: str
    shapes: str            # letters of the list this study carries
    places: tuple = ()     # place pages rendered (empty: every place)


def _csv(rows: list, header: list) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _write(folder: Path, name: str, settings: dict, tables: dict) -> Path:
    folder = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yml").write_text(yaml.safe_dump(dict({"description": "a shape for the tests",
                                                            "illustrative": False}, **settings),
                                                     allow_unicode=True), encoding="utf-8")
    for table, (header, rows) in tables.items():
        (folder / f"{table}.csv").write_text(_csv(rows, header), encoding="utf-8")
    return folder


PLACES = ["place_id", "name"]
PHASES = ["phase_id", "label", "start_date", "end_date"]
ORGS = ["org_id", "name", "place_id", "sector", "size"]
RELS = ["phase_id", "org_id", "partner_id", "level", "reliability", "mission", "openness",
        "influence", "involvement", "resources"]
THEMES = ["theme_id", "label", "dimension"]
ITEMS = ["item_id", "text", "theme_id", "reverse"]
ANSWERS = ["phase_id", "respondent_id", "org_id", "item_id", "score"]
EVIDENCE = ["evidence_id", "place_id", "phase_id", "source", "kind", "theme_id", "direction", "status",
            "summary", "quote", "consent"]
BOARDS = ["phase_id", "place_id", "board", "org_id", "role"]
GRANTS = ["Identifier", "Title", "Currency", "Amount Awarded", "Award Date", "Recipient Org:Identifier",
          "Recipient Org:Name", "Funding Org:Identifier", "Funding Org:Name", "Application Date", "Award Process"]
THEME_ROWS = [["trust", "Trust between partners", "attitudes"], ["speed", "Speed of funding", "funding"]]


def _bare(root: Path) -> Path:
    return _write(root, "bare", {"name": "Councils only"}, {
        "places": (PLACES, [["coventry", "Coventry"]]),
        "phases": (PHASES, PHASES_2),
        "organisations": (ORGS, [["GB-LAE-COV", "Coventry City Council", "coventry", "local_authority", "major"],
                                 ["GB-CHC-1001", "Foleshill Women's Training", "coventry", "vcse", "small"]]),
    })


def _grants(root: Path) -> Path:
    grant = [
        ["360G-t-0", "Before the study", "GBP", "900", "2019-06-01", "GB-CHC-1001", "Foleshill Women's Training",
         "GB-CHC-9001", "Heart of England Trust", "", "open_call"],
        ["360G-t-1", "Food parcels", "GBP", "1250.50", "2020-04-20", "GB-CHC-1001", "Foleshill Women's Training",
         "GB-CHC-9001", "Heart of England Trust", "2020-04-06", "fast_track"],
    ]
    return _write(root, "grants", {"name": "Councils and grants"}, {
        "places": (PLACES, [["coventry", "Coventry"]]),
        "phases": (PHASES, PHASES_2),
        "organisations": (ORGS, [["GB-LAE-COV", "Coventry City Council", "coventry", "local_authority", "major"],
                                 ["GB-CHC-1001", "Foleshill Women's Training", "coventry", "vcse", "small"]]),
        "grants": (GRANTS, grant),
    })


def _network(root: Path) -> Path:
    orgs = [["GB-LAE-COV", "Coventry City Council", "coventry", "local_authority", "major"],
            ["GB-NHS-C1", "Coventry Health Partnership", "coventry", "health", "major"],
            ["GB-CHC-1001", "Foleshill Women's Training", "coventry", "vcse", "small"],
            ["GB-LAE-STN", "Sutton Council", "sutton", "local_authority", "major"]]
    rels = [["first", "GB-LAE-COV", "GB-CHC-1001", "3", "3", "4", "3", "3", "3", "3"],
            ["first", "GB-CHC-1001", "GB-LAE-COV", "2", "2", "3", "2", "3", "2", "3"],
            ["first", "GB-NHS-C1", "GB-LAE-COV", "2", "3", "3", "3", "2", "2", "2"],
            ["first", "GB-LAE-COV", "GB-NHS-C1", "1", "", "", "", "", "", ""]]
    return _write(root, "network", {"name": "A network survey only"}, {
        "places": (PLACES, [["coventry", "Coventry"], ["sutton", "Sutton"]]),
        "phases": (PHASES, PHASES_2),
        "organisations": (ORGS, orgs),
        "relationships": (RELS, rels),
    })


def _survey(root: Path) -> Path:
    orgs = [["GB-LAE-COV", "Coventry City Council", "coventry", "local_authority", "major"],
            ["GB-CHC-1001", "Foleshill Women's Training", "coventry", "vcse", "small"],
            ["GB-LAE-STN", "Sutton Council", "sutton", "local_authority", "major"],
            ["GB-CHC-2001", "Sutton Carers Centre", "sutton", "vcse", "medium"]]
    answers = []
    for phase, place_orgs in (("first", ["GB-LAE-COV", "GB-CHC-1001", "GB-LAE-STN", "GB-CHC-2001"]),
                              ("second", ["GB-LAE-COV", "GB-CHC-1001"])):  # Sutton: no answers in the second
        for i, org in enumerate(place_orgs):
            respondent = f"R{phase[0]}{i}"
            answers += [[phase, respondent, org, "Q1", str(3 + i % 2)], [phase, respondent, org, "Q2", "2"]]
    return _write(root, "survey", {"name": "A survey only", "disclosure_threshold": 2}, {
        "places": (PLACES, [["coventry", "Coventry"], ["sutton", "Sutton"]]),
        "phases": (PHASES, PHASES_2),
        "organisations": (ORGS, orgs),
        "themes": (THEMES, THEME_ROWS),
        "survey_items": (ITEMS, [["Q1", "I trust my partners", "trust", "false"],
                                 ["Q2", "Funding is slow to arrive", "speed", "true"]]),
        "survey_responses": (ANSWERS, answers),
    })


def _evidence(root: Path) -> Path:
    rows = [["E1", "coventry", "first", "interview-01", "shift", "trust", "positive", "emerging",
             "Partners speak more openly", "We just picked up the phone", "true"],
            ["E2", "coventry", "second", "interview-02", "threat", "speed", "negative", "at_risk",
             "Funders returning to long forms", "", "false"]]
    return _write(root, "evidence", {"name": "Coded evidence only"}, {
        "places": (PLACES, [["coventry", "Coventry"]]),
        "phases": (PHASES, PHASES_2),
        "organisations": (ORGS, [["GB-LAE-COV", "Coventry City Council", "coventry", "local_authority", "major"]]),
        "themes": (THEMES, THEME_ROWS),
        "evidence": (EVIDENCE, rows),
    })


def _single(root: Path) -> Path:
    """One phase, twelve places, every table filled; place 1 has non-Latin names, place 2 a 200-character name."""
    places = [["p01", NON_LATIN["place"]], ["p02", LONG_NAME]] + [[f"p{i:02d}", f"Place {i}"] for i in range(3, 13)]
    orgs, rels, boards, answers, evidence, grants = [], [], [], [], [], []
    for n, (pid, _) in enumerate(places):
        if pid == "p01":
            names = [NON_LATIN["council"], NON_LATIN["health"], NON_LATIN["vcse"], NON_LATIN["arabic"]]
        elif pid == "p02":
            names = [LONG_NAME[:190] + " Council", "Long Name Health Board", "Long Name Community Larder",
                     "A" + LONG_NAME[1:]]
        else:
            # never "<sector label> <number>": that is how pseudonyms read ("Council 60")
            names = [f"Council of Place {n}", f"Place {n} Health Board", f"Place {n} Food Larder",
                     f"Place {n} Youth Project"]
        ids = [f"GB-X-{pid}-{j}" for j in range(4)]
        for oid, name, sector in zip(ids, names, ["local_authority", "health", "vcse", "community_group"],
                                     strict=True):
            orgs.append([oid, name, pid, sector, "small"])
        for a, b in ((0, 2), (2, 0), (1, 0), (0, 1), (3, 2), (2, 3)):
            rels.append(["only", ids[a], ids[b], str(2 + (a + b + n) % 3), "3", "3", "4", "3", "2", "3"])
        boards += [["only", pid, "Recovery Board", ids[0], "chair"], ["only", pid, "Recovery Board", ids[2], "member"]]
        for j, oid in enumerate(ids):
            answers += [["only", f"R-{pid}-{j}", oid, "Q1", str(2 + (j + n) % 4)],
                        ["only", f"R-{pid}-{j}", oid, "Q2", str(1 + (j * n) % 5)]]
        evidence += [[f"E-{pid}-1", pid, "only", "interview-01", "shift", "trust", "positive", "established",
                      f"Weekly calls began ({names[2]})", "We talk every week now", "true"],
                     [f"E-{pid}-2", pid, "only", "interview-02", "threat", "speed", "negative", "at_risk",
                      "Funding may end", "", ""]]
        grants.append([f"360G-s-{pid}", "Emergency grant", "GBP", str(1000 + 250 * n), "2020-05-01", ids[2], names[2],
                       "GB-CHC-9001", "Heart of England Trust", "2020-04-10", "fast_track"])
    return _write(root, "single", {"name": "One phase, twelve places 東京", "disclosure_threshold": 2}, {
        "places": (PLACES, places),
        "phases": (PHASES, [["only", "The only phase", "2020-03-01", "2020-12-31"]]),
        "organisations": (ORGS, orgs),
        "relationships": (RELS, rels),
        "boards": (BOARDS, boards),
        "themes": (THEMES, THEME_ROWS),
        "survey_items": (ITEMS, [["Q1", "I trust my partners", "trust", "false"],
                                 ["Q2", "Funding is slow to arrive", "speed", "true"]]),
        "survey_responses": (ANSWERS, answers),
        "evidence": (EVIDENCE, evidence),
        "grants": (GRANTS, grants),
    })


#: The studies of the suite, in the order they are written and rendered.
SHAPES = (
    Shape("bare", "a f"),
    Shape("grants", "b"),
    Shape("network", "c f g"),
    Shape("survey", "d g"),
    Shape("evidence", "e"),
    # twelve places: the cross-place page shows all twelve; place pages are rendered for the
    # non-Latin place and the 200-character place (the others' pages differ only in their numbers)
    Shape("single", "h i j", places=("p01", "p02")),
)

_WRITERS = {"bare": _bare, "grants": _grants, "network": _network, "survey": _survey, "evidence": _evidence,
            "single": _single}


def write_shapes(root: Path) -> dict[str, Path]:
    """Write every study of :data:`SHAPES` under ``root``; return {name: folder}."""
    root = Path(root)
    return {shape.name: _WRITERS[shape.name](root) for shape in SHAPES}

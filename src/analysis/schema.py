"""The study data package: tables, columns, types and allowed values (docs/data.md)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Column",
    "Table",
    "TABLES",
    "SECTORS",
    "SECTOR_GROUPS",
    "SECTOR_GROUP_OF",
    "SECTOR_GROUP_LABELS",
    "PUBLIC_GROUPS",
    "VCSE_GROUP",
    "LEVELS",
    "LEVEL_LABELS",
    "FREQUENCIES",
    "SIZES",
    "ROLES",
    "DIMENSIONS",
    "KINDS",
    "EVIDENCE_DIRECTIONS",
    "STATUSES",
    "AWARD_PROCESSES",
    "TRUST_COLUMNS",
    "VALUE_COLUMNS",
]

# Enumerations, in the order docs/data.md gives them (categoricals are ordered this way).
SECTORS = (
    "local_authority", "health", "vcse_infrastructure", "vcse", "community_group", "faith",
    "housing", "funder", "business", "education", "emergency_services", "other",
)
SIZES = ("micro", "small", "medium", "large", "major")
FREQUENCIES = ("never", "yearly", "quarterly", "monthly", "weekly", "daily")
ROLES = ("chair", "member", "observer")
DIMENSIONS = ("ways_of_working", "attitudes", "funding", "governance")
KINDS = ("shift", "enabler", "threat", "mitigation")
EVIDENCE_DIRECTIONS = ("positive", "negative", "mixed")
STATUSES = ("emerging", "established", "at_risk", "reverted")
AWARD_PROCESSES = ("open_call", "invited", "fast_track", "tender", "co_produced")

LEVELS = (0, 1, 2, 3, 4)
LEVEL_LABELS = {0: "none", 1: "awareness", 2: "cooperation", 3: "coordination", 4: "integration"}
TRUST_COLUMNS = ("reliability", "mission", "openness")
VALUE_COLUMNS = ("influence", "involvement", "resources")

# Sector groups: the coarser grouping used for E-I, brokerage, heatmaps and colours.
SECTOR_GROUPS = ("council", "health", "public_other", "vcse", "funder", "other")
SECTOR_GROUP_OF = {
    "local_authority": "council",
    "health": "health",
    "education": "public_other",
    "emergency_services": "public_other",
    "vcse_infrastructure": "vcse",
    "vcse": "vcse",
    "community_group": "vcse",
    "faith": "vcse",
    "funder": "funder",
    "housing": "other",
    "business": "other",
    "other": "other",
}
SECTOR_GROUP_LABELS = {
    "council": "Council",
    "health": "NHS and health",
    "public_other": "Other public",
    "vcse": "VCSE",
    "funder": "Funder",
    "other": "Business and other",
}
PUBLIC_GROUPS = ("council", "health", "public_other")
VCSE_GROUP = "vcse"


@dataclass(frozen=True)
class Column:
    """One column of a table: its name, type and rules.

    ``kind`` is one of ``id`` (string identifier, kept verbatim: "007" stays "007"),
    ``slug`` (lower-case letters, digits, ``-`` and ``_``), ``text``, ``int``, ``float``,
    ``date``, ``bool`` or ``enum`` (with ``values``, an ordered categorical).
    """

    name: str
    kind: str = "text"
    required: bool = False
    values: tuple = ()
    min: float | None = None
    max: float | None = None
    unique: bool = False


@dataclass(frozen=True)
class Table:
    """One table of the study data package."""

    name: str
    row: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name, kind="text", required=False, **kw) -> Column:
    return Column(name, kind, required, **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "places", "place",
            (
                _c("place_id", "slug", True, unique=True),
                _c("name", "text", True),
                _c("ons_code", "id"),
                _c("former_ons_codes", "text"),  # codes it replaced, separated by ";" (filled from the lookup)
                _c("area_type", "text"),
                _c("region", "text"),
                _c("population", "int", min=0),
            ),
            key=("place_id",), required=True,
        ),
        Table(
            "phases", "phase of the study",
            (
                _c("phase_id", "slug", True, unique=True),
                _c("label", "text", True),
                _c("start_date", "date", True),
                _c("end_date", "date", True),
                _c("description", "text"),
            ),
            key=("phase_id",), required=True,
        ),
        Table(
            "organisations", "organisation",
            (
                _c("org_id", "id", True, unique=True),
                _c("name", "text", True),
                _c("place_id", "slug", True),
                _c("sector", "enum", True, values=SECTORS),
                _c("size", "enum", values=SIZES),
            ),
            key=("org_id",), required=True,
        ),
        Table(
            "relationships", "rating of a partner",
            (
                _c("phase_id", "slug", True),
                _c("org_id", "id", True),
                _c("partner_id", "id", True),
                _c("level", "int", True, min=0, max=4),
                *(_c(n, "int", min=1, max=4) for n in TRUST_COLUMNS),
                *(_c(n, "int", min=1, max=4) for n in VALUE_COLUMNS),
                _c("frequency", "enum", values=FREQUENCIES),
            ),
            key=("phase_id", "org_id", "partner_id"),
        ),
        Table(
            "boards", "board seat",
            (
                _c("phase_id", "slug", True),
                _c("place_id", "slug", True),
                _c("board", "text", True),
                _c("org_id", "id", True),
                _c("role", "enum", True, values=ROLES),
            ),
            key=("phase_id", "place_id", "board", "org_id"),
        ),
        Table(
            "themes", "theme",
            (
                _c("theme_id", "slug", True, unique=True),
                _c("label", "text", True),
                _c("dimension", "enum", True, values=DIMENSIONS),
                _c("description", "text"),
            ),
            key=("theme_id",),
        ),
        Table(
            "evidence", "coded observation",
            (
                _c("evidence_id", "id", True, unique=True),
                _c("place_id", "slug", True),
                _c("phase_id", "slug", True),
                _c("source", "text", True),
                _c("kind", "enum", True, values=KINDS),
                _c("theme_id", "slug", True),
                _c("direction", "enum", values=EVIDENCE_DIRECTIONS),
                _c("status", "enum", values=STATUSES),
                _c("summary", "text", True),
                _c("quote", "text"),
                _c("consent", "bool"),
            ),
            key=("evidence_id",),
        ),
        Table(
            "survey_items", "survey question",
            (
                _c("item_id", "id", True, unique=True),
                _c("text", "text", True),
                _c("theme_id", "slug", True),
                _c("reverse", "bool"),
            ),
            key=("item_id",),
        ),
        Table(
            "survey_responses", "answer",
            (
                _c("phase_id", "slug", True),
                _c("respondent_id", "id", True),
                _c("org_id", "id", True),
                _c("item_id", "id", True),
                _c("score", "int", min=1, max=5),
            ),
            key=("phase_id", "respondent_id", "item_id"),
        ),
        Table(
            "grants", "grant",
            (
                _c("Identifier", "id", True, unique=True),
                _c("Title", "text", True),
                _c("Currency", "text", True),
                _c("Amount Awarded", "float", True),
                _c("Award Date", "date", True),
                _c("Recipient Org:Identifier", "id", True),
                _c("Recipient Org:Name", "text", True),
                _c("Funding Org:Identifier", "id", True),
                _c("Funding Org:Name", "text", True),
                _c("Description", "text"),
                _c("Beneficiary Location:Name", "text"),
                _c("Beneficiary Location:Geographic Code", "id"),
                _c("Grant Programme:Title", "text"),
                _c("Application Date", "date"),
                _c("Award Process", "enum", values=AWARD_PROCESSES),
            ),
            key=("Identifier",),
        ),
    )
}


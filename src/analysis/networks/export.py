"""Trust networks out to the tools researchers use: GraphML and GEXF for Gephi, a workbook for Kumu."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import networkx as nx
import pandas as pd

from analysis.disclosure import disclosure_threshold, for_audience
from analysis.files import atomic_write_bytes
from analysis.networks.build import trust_network
from analysis.networks.measures import trust_received
from analysis.schema import LEVEL_LABELS, SECTOR_GROUP_LABELS

__all__ = [
    "EXPORT_FORMATS",
    "NetworkExportLeak",
    "export_graph",
    "kumu_tables",
    "to_graphml",
    "to_gexf",
    "to_kumu",
    "network_bytes",
    "write_network",
    "neutralise_cell",
]

#: Formats :func:`write_network` writes, with the file suffix each usually has.
EXPORT_FORMATS = {"graphml": ".graphml", "gexf": ".gexf", "kumu": ".xlsx"}

#: The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_NODE_ATTRS = ("label", "sector", "sector_group", "size", "responded", "trust_received", "trust_received_n")
_EDGE_ATTRS = ("level", "level_label", "frequency", "trust", "value")


class NetworkExportLeak(Exception):
    """A stakeholder export would name an organisation that may not be named; nothing was written.

    ``findings`` are the leak check's findings (kinds and places, never the names found).
    """

    def __init__(self, findings):
        self.findings = list(findings)
        super().__init__(f"the export would name {len(self.findings)} organisation(s) or identifier(s) that a "
                         "stakeholder may not see; nothing was written")


def _present(value) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and value == "")


def export_graph(study, place: str, phase: str, *, audience: str = "stakeholder", key=None) -> nx.DiGraph:
    """The trust network of one place and phase, with the attributes an export carries.

    Nodes carry ``label`` (the organisation's name for ``internal``, its pseudonym for
    ``stakeholder``: :func:`analysis.disclosure.for_audience`), ``sector``, ``sector_group``,
    ``size``, ``responded`` (answered the survey in this phase), ``trust_received`` (the mean
    trust of the ratings it received; absent when it rests on fewer than the disclosure
    threshold of ratings, as on the pages) and ``trust_received_n`` (how many ratings).
    Ties carry ``level`` (2 cooperation to 4 integration), ``level_label``, ``frequency`` and,
    for ``internal`` exports (or a study whose disclosure threshold is 1), ``trust`` and ``value``: one
    organisation's rating of another rests on one respondent, fewer than the threshold, so a stakeholder
    export leaves it out, as the pages do. An attribute that was not recorded is absent, never
    NaN. Node identifiers are ``org_id`` for ``internal``, the label for ``stakeholder`` (an
    identifier such as a charity number names an organisation as surely as its name).

    Parameters
    ----------
    study : Study
        As loaded (:func:`analysis.load_study`), not a stakeholder copy.
    place, phase : str
        A ``place_id`` and a ``phase_id`` of the study.
    audience : {"stakeholder", "internal"}
    key : bytes or str, optional
        The pseudonym key (by default the study's key file; see :func:`analysis.disclosure.study_key`).

    Returns
    -------
    networkx.DiGraph
        With graph attributes ``place``, ``phase``, ``place_name``, ``phase_label``,
        ``audience``, ``tie_min_level``, ``disclosure_threshold`` and ``note``.

    Raises
    ------
    KeyError
        When the place or phase is not in the study.
    """
    shown = for_audience(study, audience, key=key)
    threshold = disclosure_threshold(shown, audience)
    G = trust_network(shown, place, phase)
    received = trust_received(G, attrs=("trust",), threshold=threshold)
    labels = _unique_labels(G, audience)
    out = nx.DiGraph()
    note = (f"Trust network of {G.graph['place_name']}, {G.graph['phase_label']}, for {audience} readers. "
            f"A tie is a rating at level {G.graph['tie_min_level']} (cooperation) or above. ")
    if threshold > 1:
        note += (f"Trust received is left out where fewer than {threshold} partners rated an organisation; "
                 "each tie's own trust and value ratings are left out (each is one respondent's answer).")
    out.graph.update(place=G.graph["place"], phase=G.graph["phase"], place_name=G.graph["place_name"],
                     phase_label=G.graph["phase_label"], audience=audience,
                     tie_min_level=int(G.graph["tie_min_level"]), disclosure_threshold=int(threshold),
                     note=note.strip())
    for v, data in G.nodes(data=True):
        attrs = {"label": labels[v], "sector": data.get("sector"), "sector_group": data.get("sector_group"),
                 "size": data.get("size"), "responded": bool(data.get("responded")),
                 "trust_received": float(received.at[v, "trust"]), "trust_received_n": int(received.at[v, "trust_n"])}
        out.add_node(v if audience == "internal" else labels[v], **{a: x for a, x in attrs.items() if _present(x)})
    node = (lambda v: v) if audience == "internal" else labels.__getitem__
    for u, v, data in G.edges(data=True):
        attrs = {"level": int(data["level"]), "level_label": LEVEL_LABELS.get(int(data["level"])),
                 "frequency": data.get("frequency")}
        if threshold <= 1:
            attrs.update(trust=data.get("trust"), value=data.get("value"))
        out.add_edge(node(u), node(v), **{a: x for a, x in attrs.items() if _present(x)})
    return out


def _unique_labels(G, audience: str) -> dict:
    """Each node's label; two organisations of one name are told apart by their identifier
    (internal) or a number (stakeholder), so tools that join on labels (Kumu) keep both."""
    names = {v: str(d.get("name", v)) for v, d in G.nodes(data=True)}
    counts = pd.Series(list(names.values())).value_counts()
    seen: dict[str, int] = {}
    labels = {}
    for v in sorted(G.nodes, key=str):
        name = names[v]
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            name = f"{name} ({v})" if audience == "internal" else f"{name} ({seen[name]})"
        labels[v] = name
    return labels


def to_graphml(G) -> bytes:
    """GraphML of an :func:`export_graph` network (networkx's writer), for Gephi, yEd or igraph."""
    buf = io.BytesIO()
    nx.write_graphml(G, buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
    return buf.getvalue()


def to_gexf(G) -> bytes:
    """GEXF 1.2 of an :func:`export_graph` network (networkx's writer), Gephi's own format.

    The node's ``label`` attribute is GEXF's label; the rest are GEXF attributes.
    """
    buf = io.BytesIO()
    nx.write_gexf(G, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


def neutralise_cell(value):
    """A cell a spreadsheet shows as text: strings starting ``= + - @`` (or a tab or carriage
    return) get a leading apostrophe, so they are never run as a formula; other values pass.

    References
    ----------
    OWASP. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> neutralise_cell("=HYPERLINK(\\"http://x\\")"), neutralise_cell("-3"), neutralise_cell(-3.0)
    ('\\'=HYPERLINK("http://x")', "'-3", -3.0)
    >>> neutralise_cell("VCSE 07")
    'VCSE 07'
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _describe(data: dict, threshold: int) -> str:
    group = SECTOR_GROUP_LABELS.get(data.get("sector_group"), data.get("sector_group") or "sector not recorded")
    parts = [f"{group} organisation" + (f" ({data['sector']})" if data.get("sector") else "")]
    if data.get("size"):
        parts.append(f"size {data['size']}")
    n = data.get("trust_received_n", 0)
    if "trust_received" in data:
        parts.append(f"trust received {data['trust_received']:.2f} on a 1 to 4 scale from {n} rating{'s' * (n != 1)}")
    elif n:
        parts.append(f"trust received not shown: {n} rating{'s' * (n != 1)}, fewer than {threshold}")
    else:
        parts.append("no trust ratings received")
    return "; ".join(parts) + "."


def kumu_tables(G) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The network as Kumu's import sheets: elements (``Label`` first) and connections
    (``From``, ``To`` first), with Kumu's optional ``Type``, ``Description``, ``Tags`` and
    ``Direction`` columns and one column per attribute. Cells are not yet neutralised.

    References
    ----------
    Kumu. Structure your data for Kumu. https://docs.kumu.io/guides/import/import
    """
    threshold = int(G.graph.get("disclosure_threshold", 1))
    elements = []
    for v, d in G.nodes(data=True):
        group = SECTOR_GROUP_LABELS.get(d.get("sector_group"), d.get("sector_group"))
        elements.append({
            "Label": d.get("label", str(v)), "Type": group, "Description": _describe(d, threshold),
            "Tags": "|".join(dict.fromkeys(t for t in (d.get("sector_group"), d.get("sector")) if t)),
            "Sector": d.get("sector"), "Sector group": group, "Size": d.get("size"),
            "Responded": "yes" if d.get("responded") else "no",
            "Trust received": d.get("trust_received"), "Trust received n": d.get("trust_received_n", 0),
        })
    connections = []
    for u, v, d in G.edges(data=True):
        row = {"From": G.nodes[u].get("label", str(u)), "To": G.nodes[v].get("label", str(v)),
               "Type": d.get("level_label"), "Direction": "directed", "Level": d.get("level"),
               "Frequency": d.get("frequency")}
        if threshold <= 1:
            row.update({"Trust": d.get("trust"), "Value": d.get("value")})
        connections.append(row)
    element_cols = ["Label", "Type", "Description", "Tags", "Sector", "Sector group", "Size", "Responded",
                    "Trust received", "Trust received n"]
    connection_cols = ["From", "To", "Type", "Direction", "Level", "Frequency"]
    connection_cols += ["Trust", "Value"] if threshold <= 1 else []
    return pd.DataFrame(elements, columns=element_cols), pd.DataFrame(connections, columns=connection_cols)


def to_kumu(G) -> bytes:
    """An .xlsx workbook for Kumu's import: sheets "Elements" and "Connections" (see
    :func:`kumu_tables`), and an "About (ignore)" sheet that Kumu skips. Every string cell is
    written as text and neutralised (:func:`neutralise_cell`)."""
    from openpyxl import Workbook

    elements, connections = kumu_tables(G)
    wb = Workbook()
    wb.remove(wb.active)
    about = pd.DataFrame({"About this export": [G.graph.get("note", "")]})
    for title, table in (("Elements", elements), ("Connections", connections), ("About (ignore)", about)):
        ws = wb.create_sheet(title)
        ws.append(list(table.columns))
        for record in table.itertuples(index=False):
            ws.append([None if not _present(x) else neutralise_cell(x) for x in record])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even where openpyxl would have read a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _kumu_text(data: bytes) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    lines = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            lines.append("\t".join("" if x is None else str(x) for x in row))
    return "\n".join(lines)


def network_bytes(G, fmt: str) -> bytes:
    """``G`` written in ``fmt`` (one of :data:`EXPORT_FORMATS`)."""
    writers = {"graphml": to_graphml, "gexf": to_gexf, "kumu": to_kumu}
    if fmt not in writers:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    return writers[fmt](G)


def write_network(study, place: str, phase: str, fmt: str, out: str | os.PathLike, *,
                  audience: str = "stakeholder", key=None) -> Path:
    """Write the trust network of a place and phase to ``out`` as GraphML, GEXF or a Kumu workbook.

    The steps: build the network for the audience (:func:`export_graph`); write it in memory;
    for a stakeholder export, run the leak check's search for organisation names and
    identifiers over the file's text (XML text and attributes, or every cell of the
    workbook); then write the file atomically.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    NetworkExportLeak
        When a stakeholder export would name an organisation that may not be named.
    KeyError
        When the place or phase is not in the study.
    ValueError
        For an unknown format or audience.
    """
    from analysis.leakcheck import check_text

    G = export_graph(study, place, phase, audience=audience, key=key)
    data = network_bytes(G, fmt)
    if audience == "stakeholder":
        text, kind = (_kumu_text(data), "text") if fmt == "kumu" else (data.decode("utf-8"), "html")
        findings = check_text(study, text, kind=kind, path=str(out), where=f"{fmt} export")
        if findings:
            raise NetworkExportLeak(findings)
    out = Path(out)
    atomic_write_bytes(out, data)
    return out

"""Disguised names and identifiers: the leak check and the scrubbing of free text see through them.

Each attack writes a secret name (or identifier) the way a careless or hostile author might,
so that a plain search misses it while a reader still recognises it, and puts it into each
kind of file a stakeholder folder holds: a rendered HTML page, an SVG figure, a PNG with a
text chunk and an executed notebook.
"""

from __future__ import annotations

import json
import sys
import unicodedata

import nbformat
import pandas as pd
import pytest
from PIL import Image, PngImagePlugin

from analysis.disclosure import for_audience, respondent_pseudonyms
from analysis.leakcheck import check_rendered, check_text, format_findings, leak_terms
from analysis.study import study_from_tables
from analysis.textmatch import (
    TermIndex,
    fold,
    fold_with_spans,
    identifier_forms,
    match_key,
    normalise,
    searchable_identifier,
)

KEY = b"normalise test key"
LARDER = "Riverside Larder & Co"           # GB-CHC-1187654: a seven-digit charity number
FORUM = "Hollowbrook Tenants Forum"        # GB-COH-09876543: a company number with a leading zero
KESTREL = "Kestrel Youth Hub"              # GB-CHC-4821: too short to search without its prefix
SECRETS = (LARDER, FORUM, KESTREL, "1187654", "9876543", "4821", "Riverside", "Hollowbrook", "Kestrel")


@pytest.fixture(scope="module")
def study():
    return study_from_tables(
        {
            "places": pd.DataFrame({"place_id": ["vale"], "name": ["Meadowgate"]}),
            "phases": pd.DataFrame({"phase_id": ["wave1"], "label": ["Wave 1"],
                                    "start_date": ["2020-03-16"], "end_date": ["2020-09-30"]}),
            "organisations": pd.DataFrame(
                [["GB-LAE-MDW", "Meadowgate Borough Council", "local_authority"],
                 ["GB-CHC-1187654", LARDER, "vcse"],
                 ["GB-COH-09876543", FORUM, "community_group"],
                 ["GB-CHC-4821", KESTREL, "vcse"],
                 ["X-007", "Bondhouse Radio", "community_group"]],
                columns=["org_id", "name", "sector"]).assign(place_id="vale"),
            "themes": pd.DataFrame({"theme_id": ["voice"], "label": ["Voice"], "dimension": ["attitudes"]}),
            "evidence": pd.DataFrame(
                [["E1", "vale", "wave1", "interview-04", "shift", "voice", "placeholder", "", ""]],
                columns=["evidence_id", "place_id", "phase_id", "source", "kind", "theme_id",
                         "summary", "quote", "consent"]),
            "survey_items": pd.DataFrame({"item_id": ["V1"], "text": ["We are heard"], "theme_id": ["voice"]}),
            "survey_responses": pd.DataFrame(
                [["wave1", "PX-5531", "GB-CHC-1187654", "V1", "4"],
                 ["wave1", "PX-5532", "GB-CHC-4821", "V1", "2"]],
                columns=["phase_id", "respondent_id", "org_id", "item_id", "score"]),
        },
        settings={"nameable": ["GB-LAE-MDW"]},
        name="normalise-test",
    )


# -- the disguises: each is (label, function of a name giving what is written) ---------------

def _cyrillic(name):  # Latin a, e, o, p, c, y, x, i, s, d, w written with their Cyrillic twins
    return name.translate(str.maketrans("aeopcyxisdwHTKMB", "аеорсухіѕԁԝНТКМВ"))


def _greek(name):  # capitals that look Latin written as Greek capitals, small o and v as Greek
    return name.translate(str.maketrans("ABEHIKMNOPTXYZov", "ΑΒΕΗΙΚΜΝΟΡΤΧΥΖον"))


def _every_other(name, mark):
    return "".join(ch + (mark if i % 2 else "") for i, ch in enumerate(name)).rstrip(mark)


DISGUISES = {
    "soft hyphens": lambda n: _every_other(n, "\u00ad"),
    "zero-width spaces": lambda n: _every_other(n, "\u200b"),
    "word joiners and a byte-order mark": lambda n: "\ufeff" + _every_other(n, "\u2060"),
    "direction marks and zero-width joiners": lambda n: _every_other(n, "\u200e\u200d"),
    "Cyrillic look-alikes": _cyrillic,
    "Greek look-alikes in capitals": lambda n: _greek(n.upper()),
    "Greek small o and nu": _greek,
    "full-width letters": lambda n: unicodedata.normalize("NFKC", n).translate(
        {c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
    "no-break spaces and odd case": lambda n: n.swapcase().replace(" ", "\u00a0\u2009"),
    "line break and hyphen between words": lambda n: n.replace(" ", "\n  -", 1),
    "words run together": lambda n: n.replace(" ", ""),
}
# Disguises that only make sense on a page, where entities are decoded.
ENTITY_DISGUISES = {
    "& as &amp;amp;": lambda n: n.replace("&", "&amp;amp;"),
    "& as and": lambda n: n.replace("&", "and"),
    "numeric character references": lambda n: "".join(f"&#{ord(c)};" if c.isalpha() else c for c in n),
    "&shy; entities": lambda n: n.replace("e", "e&shy;"),
}
ALL = {**DISGUISES, **ENTITY_DISGUISES}


def _png(path, text):
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", text)
    Image.new("RGB", (4, 4), "white").save(path, pnginfo=info)


def _write(container, folder, text):
    """Put ``text`` into a file of the given kind, as the suite's outputs hold it."""
    if container == "html":
        path = folder / "page.html"
        path.write_text(f"<html><body><h2>Partners</h2><p>Thanks to {text} for the venue.</p></body></html>",
                        encoding="utf-8")
    elif container == "svg":
        path = folder / "figure.svg"
        path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><title>Trust received</title>'
                        f'<g><text x="1" y="2">{text}</text></g></svg>', encoding="utf-8")
    elif container == "png":
        path = folder / "figure.png"
        _png(path, f"Bar chart of trust received by {text}")
    else:
        path = folder / "report.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("print(partner)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=f"Partner: {text}\n")])]
        nbformat.write(nb, path)
    return path


# -- the leak check sees through every disguise, in every kind of file ------------------------

@pytest.mark.parametrize("container", ["html", "svg", "png", "ipynb"])
@pytest.mark.parametrize("disguise", list(DISGUISES))
@pytest.mark.parametrize("name", [LARDER, FORUM, KESTREL])
def test_disguised_name_found_in_every_kind_of_file(study, tmp_path, container, disguise, name):
    written = DISGUISES[disguise](name)
    assert written != name and name not in written  # the disguise defeats a plain search
    _write(container, tmp_path, written)
    found = check_rendered(study, tmp_path)
    assert [f.kind for f in found] == ["organisation name"], (disguise, container)
    if container == "png":  # PNG text is Latin-1 in tEXt chunks, UTF-8 in iTXt
        chunk = "tEXt" if written.isascii() or _latin1(written) else "iTXt"
        assert found[0].where == f"PNG {chunk} chunk 'Description'"
    _never_reveals(found)


def _latin1(text):
    try:
        text.encode("latin-1")
        return True
    except UnicodeEncodeError:
        return False


@pytest.mark.parametrize("container", ["html", "svg", "ipynb"])
@pytest.mark.parametrize("disguise", list(ENTITY_DISGUISES))
def test_name_hidden_by_entities_found(study, tmp_path, container, disguise):
    written = ENTITY_DISGUISES[disguise](LARDER)
    _write(container, tmp_path, written)
    found = check_rendered(study, tmp_path)
    assert [f.kind for f in found] == ["organisation name"], (disguise, container)


def test_name_in_an_attribute_with_a_soft_hyphen_entity(study):
    page = '<img alt="Hollow&shy;brook Tenants&#xA0;Forum" src="x.png">'
    assert [f.kind for f in check_text(study, page, kind="html")] == ["organisation name"]


def test_name_on_a_png_embedded_in_a_page(study, tmp_path):
    import base64

    _png(tmp_path / "figure.png", _cyrillic(FORUM))
    data = base64.b64encode((tmp_path / "figure.png").read_bytes()).decode()
    (tmp_path / "figure.png").unlink()
    (tmp_path / "page.html").write_text(f'<img src="data:image/png;base64,{data}">', encoding="utf-8")
    found = check_rendered(study, tmp_path)
    assert [(f.kind, f.where) for f in found] == [
        ("organisation name", "PNG embedded in HTML iTXt chunk 'Description'")]


def test_respondent_id_with_an_invisible_character_found(study):
    found = check_text(study, "Answered by PX\u200b-55\u00ad31 in March")
    assert [f.kind for f in found] == ["respondent id"]
    assert check_text(study, "PX-55310 and PX-553") == []


# -- identifiers: with or without their prefix, long numbers alone ----------------------------

@pytest.mark.parametrize("text", [
    "Registered charity 1187654.",
    "charity no.\u00a01187654",
    "GB CHC 1187654",
    "gbchc1187654",
    "GB.CHC/1187654",
    "1187\u200b654",            # an invisible character inside the number
    "1187 654",                 # the number in two groups
    "Company 09876543",
    "company number 9876543",   # the leading zero dropped
    "GB-COH-09876543",
    "gb coh 09876543",
    "GB-CHC-4821",              # a short number: found with its prefix
    "gb chc 4821",
    "GBCHC4821",
])
def test_identifier_found_with_or_without_prefix(study, text):
    assert [f.kind for f in check_text(study, f"<p>{text}</p>", kind="html")] == ["organisation identifier"], text


@pytest.mark.parametrize("text", [
    "Case 4821 was closed",          # a short number alone: not searched
    "Agent 007 is 07 or 7",          # X-007's number is too short to search without its prefix
    "11876543 people",               # a longer number holding the digits
    "a ratio of 0.1187654",          # a decimal
    "£1,187,654 awarded",            # an amount written with separators
    "GB-CHC-11876540",
    "GB-CHC-48210 and GB-CHC-482",
])
def test_identifier_rule_gives_no_false_positive(study, text):
    assert check_text(study, text) == [], text


@pytest.mark.parametrize("org_id, ok", [("007", False), ("X-007", True), ("12345", False), ("123456", True),
                                        ("GB-CHC-4821", True), ("gb\u200bchc", True), ("R-1", False)])
def test_searchable_identifier_rule(org_id, ok):
    assert searchable_identifier(org_id) is ok


def test_identifier_forms_worked_by_hand():
    assert identifier_forms("GB-CHC-1187654") == [["gb", "chc", "1187654"], ["#1187654"]]
    assert identifier_forms("GB-COH-SC012345") == [["gb", "coh", "sc", "012345"], ["#012345"]]  # 12345: 5 digits
    assert identifier_forms("1234567") == [["#1234567"]]
    assert identifier_forms("GB-LAE-MDW") == [["gb", "lae", "mdw"]]


def test_leak_terms_keep_short_prefixed_ids_and_drop_bare_short_ones(study):
    assert leak_terms(study)["organisation identifier"] == ["GB-CHC-1187654", "GB-CHC-4821", "GB-COH-09876543",
                                                            "X-007"]


# -- an innocent page is not flagged ----------------------------------------------------------

INNOCENT = """<html><head><title>Meadowgate: wave 1</title></head><body>
<h1>Meadowgate Borough Council and its partners</h1>
<p>The council, the community and a charity met at the riverside larder on the hollow brook path.
VCSE 12 and VCSE 47 co-ordinated 1,187 food parcels; 4821 volunteers; population 118765;
£1,187,654 in grants; ratio 0.1187654; 09876 leaflets; Agent 007 &amp;amp; friends; R&amp;D.</p>
<p>Kestrels nest in Youth Hubs. A tenants' forum is planned. Hollowbrooks are streams.</p>
<p lang="ru">Привет, мир: совет и сообщество.</p><p lang="el">Καλημέρα, ΚΟΙΝΟΤΗΤΑ.</p>
<p>Zero\u200bwidth and soft\u00adhyphen in ordinary words; ＡＢＣ full-width.</p>
</body></html>"""


def test_innocent_page_not_flagged(study, tmp_path):
    (tmp_path / "index.html").write_text(INNOCENT, encoding="utf-8")
    _write("svg", tmp_path, "Trust received by VCSE 12 (n = 14)")
    _write("png", tmp_path, "Council 03 and VCSE 12")
    _write("ipynb", tmp_path, "VCSE 47: 1,187 parcels")
    assert check_rendered(study, tmp_path) == []


def test_nameable_name_written_with_look_alikes_is_still_allowed(study):
    # The council may be named; its name in Cyrillic letters is still its name, not a leak.
    assert check_text(study, _cyrillic("Meadowgate Borough Council")) == []


# -- findings never carry the secret ----------------------------------------------------------

def _never_reveals(findings):
    text = (format_findings(findings) + repr(findings)).casefold()
    for s in SECRETS:
        assert s.casefold() not in text
        assert normalise(s) not in normalise(text)


def test_findings_name_kind_and_place_only(study, tmp_path):
    page = "\n".join(["<p>intro</p>", f"<p>{_cyrillic(LARDER)}</p>", "<p>GB CHC 1187654</p>",
                      "<p>PX-5531</p>"])
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    found = check_rendered(study, tmp_path)
    assert sorted((f.kind, f.where) for f in found) == [
        ("organisation identifier", "HTML text, line 3"),
        ("organisation name", "HTML text, line 2"),
        ("respondent id", "HTML text, line 4"),
    ]
    _never_reveals(found)


# -- normalisation itself ---------------------------------------------------------------------

@pytest.mark.parametrize("disguise", list(ALL))
def test_normalise_undoes_each_disguise(disguise):
    assert match_key(normalise(ALL[disguise](LARDER))) == match_key(normalise(LARDER)) == "riversidelarderandco"


def test_normalise_worked_examples():
    assert normalise("Riverside Larder & Co") == "riverside larder and co"
    assert normalise("RIVERSIDE&amp;amp;amp;LARDER") == "riverside and larder"
    assert normalise("\uff32\uff49\uff56\uff45\uff52") == "river"                  # full-width
    assert normalise("\u0420\u0456\u0475\u0435\u0433") != "river"                  # not every letter has a twin
    assert normalise("\u041d\u041e\u0420\u0415") == "hope"                         # Cyrillic capitals
    assert normalise("\u03a4\u0391\u03a7\u0399 \u039a\u0399\u03a4\u0395") == "taxi kite"  # Greek capitals
    assert normalise("St\u00a0Mary\u2019s") == "st mary's"
    assert normalise("O0 l1 I") == "o0 l1 i"  # ASCII is left alone: no digit becomes a letter


def test_every_format_character_is_removed():
    cf = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(cf) > 150
    missed = [f"U+{ord(ch):04X}" for ch in cf if normalise(f"a{ch}b") != "ab"]
    assert missed == []
    for ch in "\u034f\u115f\u17b4\u180b\ufe0f\U000e0100":  # default-ignorable, not Cf
        assert normalise(f"a{ch}b") == "ab", f"U+{ord(ch):04X}"


@pytest.mark.parametrize("disguise", list(ALL))
def test_folding_with_spans_agrees_with_fold(disguise):
    text = f"Before {ALL[disguise](FORUM)} after &amp; é\u0301 ﬁn"
    folded, spans = fold_with_spans(text)
    assert folded == fold(text)
    assert len(spans) == len(folded)
    assert all(0 <= a < b <= len(text) for a, b in spans)


def test_term_index_prefers_the_longest_name():
    idx = TermIndex(["Hollowbrook", "Hollowbrook Tenants Forum"])
    text = fold("hollow\u00adbrook tenants forum; hollowbrook")
    assert [text[a:b] for a, b in idx.finditer(text)] == ["hollowbrook tenants forum", "hollowbrook"]


# -- the scrubbing of free text uses the same normalisation -----------------------------------

def _with_summaries(study, summaries, quotes=None):
    n = len(summaries)
    evidence = pd.DataFrame({
        "evidence_id": [f"E{i}" for i in range(n)], "place_id": "vale", "phase_id": "wave1",
        "source": [f"interview-{i:02d}" for i in range(n)], "kind": "shift", "theme_id": "voice",
        "summary": summaries, "quote": quotes or [""] * n, "consent": "true",
    })
    tables = {t: getattr(study, t) for t in ("places", "phases", "organisations", "themes", "survey_items",
                                              "survey_responses")}
    tables["organisations"] = tables["organisations"][["org_id", "name", "place_id", "sector"]]
    tables["evidence"] = evidence
    return study_from_tables({k: v.astype(object) for k, v in tables.items()},
                             settings={"nameable": ["GB-LAE-MDW"]}, name="normalise-test")


@pytest.mark.parametrize("disguise", list(ALL))
@pytest.mark.parametrize("name", [LARDER, FORUM])
def test_scrubbing_removes_each_disguised_name(study, disguise, name):
    written = ALL[disguise](name)
    s = _with_summaries(study, [f"Since March {written} calls the council weekly."],
                        [f"We rang {written} first."])
    shown = for_audience(s, "stakeholder", key=KEY)
    summary, quote = shown.evidence.loc[0, "summary"], shown.evidence.loc[0, "quote"]
    pseudonym = shown.organisations.set_index("org_id").loc[
        "GB-CHC-1187654" if name == LARDER else "GB-COH-09876543", "name"]
    # An invisible character outside the name (a leading byte-order mark) stays where it was.
    assert summary.replace("\ufeff", "") == f"Since March {pseudonym} calls the council weekly."
    assert quote.replace("\ufeff", "") == f"We rang {pseudonym} first."
    assert check_text(s, summary + " " + quote) == []


def test_scrubbing_keeps_the_rest_of_the_text_as_written(study):
    text = "Ünïcode “quotes”, CAPITALS\u00a0and Ｆｕｌｌ-width stay; only Kestrel\u200b Youth Hub goes."
    shown = for_audience(_with_summaries(study, [text]), "stakeholder", key=KEY)
    pseudonym = shown.organisations.set_index("org_id").loc["GB-CHC-4821", "name"]
    assert shown.evidence.loc[0, "summary"] == text.replace("Kestrel\u200b Youth Hub", pseudonym)


def test_scrubbing_keeps_a_nameable_name_that_holds_a_secret_one(study):
    # "Meadowgate Borough Council" may be named; a secret shorter name inside it is not replaced.
    shown = for_audience(_with_summaries(study, ["Meadowgate Borough Council funded it."]), "stakeholder", key=KEY)
    assert shown.evidence.loc[0, "summary"] == "Meadowgate Borough Council funded it."


def test_respondent_id_with_an_invisible_character_is_one_respondent_and_scrubbed(study):
    tables = {t: getattr(study, t).astype(object) for t in ("places", "phases", "themes", "survey_items")}
    tables["organisations"] = study.organisations[["org_id", "name", "place_id", "sector"]].astype(object)
    tables["survey_responses"] = pd.DataFrame(
        [["wave1", "PX-5531", "GB-CHC-1187654", "V1", "4"],
         ["wave1", "PX\u200b-5531", "GB-CHC-1187654", "V1", "5"],   # the same person, disguised
         ["wave1", "px-5532", "GB-CHC-4821", "V1", "2"]],
        columns=["phase_id", "respondent_id", "org_id", "item_id", "score"])
    tables["evidence"] = pd.DataFrame([["E1", "vale", "wave1", "interview-01", "shift", "voice",
                                        "PX\u00ad-5531 said so", "", ""]],
                                      columns=["evidence_id", "place_id", "phase_id", "source", "kind",
                                               "theme_id", "summary", "quote", "consent"])
    s = study_from_tables(tables, settings={"nameable": ["GB-LAE-MDW"]}, name="normalise-test")
    codes = respondent_pseudonyms(s, key=KEY)
    assert codes["PX-5531"] == codes["PX\u200b-5531"] != codes["px-5532"]
    # The plain spelling keeps the pseudonym it has without the disguised twin.
    assert codes["PX-5531"] == respondent_pseudonyms(study, key=KEY)["PX-5531"]
    shown = for_audience(s, "stakeholder", key=KEY)
    assert shown.survey_responses["respondent_id"].nunique() == 2
    assert shown.evidence.loc[0, "summary"] == f"{codes['PX-5531']} said so"


def test_notebook_json_escapes_do_not_hide_a_name(study, tmp_path):
    # A name stored in notebook metadata with JSON's \\u escapes for the soft hyphens.
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"partner": _every_other(FORUM, "\u00ad")}}
    (tmp_path / "n.ipynb").write_text(json.dumps(nb, ensure_ascii=True), encoding="utf-8")
    assert [f.kind for f in check_rendered(study, tmp_path)] == ["organisation name"]


# -- figures made by the suite itself (matplotlib SVG and PNG, the page's embedded figure) ----

@pytest.mark.parametrize("disguise", ["soft hyphens", "zero-width spaces", "Cyrillic look-alikes",
                                      "Greek look-alikes in capitals", "direction marks and zero-width joiners"])
def test_disguised_name_in_a_figure_title_found_in_svg_png_and_page(study, tmp_path, disguise):
    import matplotlib.pyplot as plt

    from analysis import style

    title = f"Trust received by {DISGUISES[disguise](FORUM)}"
    fig, ax = style.new_figure(title, f"Bar chart: {title}")
    ax.bar(["a", "b"], [1, 2])
    style.save_figure(fig, tmp_path, "trust")
    (tmp_path / "page.html").write_text(f"<html><body>{style.figure_html(fig, caption='Trust')}</body></html>",
                                        encoding="utf-8")
    plt.close(fig)
    found = check_rendered(study, tmp_path)
    files = {f.path.rsplit("/", 1)[-1] for f in found}
    assert files == {"trust.svg", "trust.png", "page.html"}, disguise
    assert {f.kind for f in found} == {"organisation name"}
    assert any(f.where == "SVG text" for f in found)  # the drawn title, not only its metadata
    _never_reveals(found)


def test_grant_recipient_outside_the_study_found_by_its_charity_number(study):
    grants = pd.DataFrame(
        [["360G-w-1", "Lunch club", "GBP", "900", "2020-06-01", "GB-CHC-1099887", "Upper Wick Lunch Club",
          "GB-LAE-MDW", "Meadowgate Borough Council"]],
        columns=["Identifier", "Title", "Currency", "Amount Awarded", "Award Date", "Recipient Org:Identifier",
                 "Recipient Org:Name", "Funding Org:Identifier", "Funding Org:Name"])
    s = study.replace(grants=grants)
    assert "GB-CHC-1099887" in leak_terms(s)["organisation identifier"]
    assert "GB-LAE-MDW" not in leak_terms(s)["organisation identifier"]  # the nameable funder
    assert [f.kind for f in check_text(s, "Charity 1099887 ran it")] == ["organisation identifier"]


def test_a_colour_code_is_not_an_identifier_with_zeros_inside_it():
    """A 360Giving id with six zeros inside it must not match SVG's #000000 (a real false positive)."""
    from analysis.textmatch import identifier_forms

    assert identifier_forms("360G-barrowcadbury-001b000000ViITn") == [
        ["360", "g", "barrowcadbury", "001", "b", "000000", "viitn"]]
    assert identifier_forms("GB-CHC-0000000") == [["gb", "chc", "0000000"]]  # only zeros: not alone
    assert identifier_forms("GB-CHC-1123456")[1:] == [["#1123456"]]

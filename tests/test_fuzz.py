"""Fuzzing `coordination validate` and `coordination import-grants`: random bytes, CSV shapes and study.yml
documents never give a traceback, and nothing is written outside the study's imports/ folder."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import hypothesis
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.schema import TABLES
from tests.helpers import tiny_tables, write_study

# 20 examples per test (80 in all) keep the four tests near half a minute on an idle machine;
# FUZZ_EXAMPLES=500 searches harder (and randomly).
_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
FUZZ = settings(max_examples=_EXAMPLES, deadline=None, derandomize="FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

GRANT_HEADER = ["Identifier", "Title", "Currency", "Amount Awarded", "Award Date", "Recipient Org:Identifier",
                "Recipient Org:Name", "Funding Org:Identifier", "Funding Org:Name", "Recipient Org:Postal Code",
                "Beneficiary Location:Geographic Code", "Application Date", "Award Process"]

# cells that have broken readers before, mixed with arbitrary text
NASTY_CELLS = ["", " ", "1e309", "inf", "-inf", "nan", "NaN", "1e308", "12000000000", "-5", "0", "60", "1", "2958465",
               "9999-12-31", "0000-00-00", "31/02/2020", "02/30/2020", "1/2/20", "2020-03-16", "16/03/2020 14:30",
               " gb-chc-0000007 ", "GB-CHC-0000007", "gb-lae-nth", "north", "NORTH", "during", "R001", "r001",
               "=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "\ufeff", "\u200b", "\x00", "\r", "\"", "a,b", "£1,250.50",
               "GBP", "USD", "CV1 3HW", "E08000026", "true", "perhaps", "4", "5", "99999999999999999999999"]
cells = st.one_of(st.sampled_from(NASTY_CELLS), st.text(max_size=12))


def _tree(root: Path, imports: bool = False) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256), without the study's imports/ folder unless asked."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if ("/imports/" in f"/{rel}/" and not imports) or not p.is_file():
            continue
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A valid tiny study and a valid 360Giving CSV, copied afresh for each example."""
    root = tmp_path_factory.mktemp("fuzz-template")
    write_study(root / "study", tiny_tables())
    return root


@contextlib.contextmanager
def fresh_copy(template: Path):
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        shutil.copytree(template, root, dirs_exist_ok=True)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_cli(argv: list[str]) -> tuple[int, str]:
    """Run the command in-process with --debug; any exception escaping it, or reaching the command line's
    last-resort handler ("unexpected ..."), fails the test, with the input shown by hypothesis."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            status = main([*argv, "--debug"])
        except SystemExit as exc:  # argparse's own exit
            status = exc.code
    text = out.getvalue()
    assert status in (0, 1, 2), (status, text[-2000:])
    assert "Traceback (most recent call last)" not in text, text[-3000:]
    assert f"coordination {argv[0]}: unexpected " not in text, text[-3000:]
    return status, text


def check_validate(root: Path) -> str:
    before = _tree(root, imports=True)
    status, out = run_cli(["validate", str(root / "study")])
    assert _tree(root, imports=True) == before, "validate wrote or changed a file"
    # a study reported OK really loads; one reported bad names at least one problem
    assert ("OK: no errors" in out) == (status == 0), out[-2000:]
    return out


def check_import(root: Path, grants_file: Path) -> str:
    """Run import-grants; only new files appear, and only in the study's imports/ folder."""
    before = _tree(root)
    imports = root / "study" / "imports"
    existing = {p.name: p.read_bytes() for p in imports.glob("*")} if imports.is_dir() else {}
    status, out = run_cli(["import-grants", str(grants_file), "--study", str(root / "study")])
    assert _tree(root) == before, "import-grants wrote outside the study's imports/ folder"
    hypothesis.event("imported" if "Imported" in out else f"import-grants exit {status}")
    if imports.is_dir():
        for name, data in existing.items():  # never overwrites an earlier import
            assert (imports / name).read_bytes() == data
    return out


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str, ragged: bool) -> bytes:
    buf = io.StringIO()
    if ragged:  # written by hand: fields are not quoted, so commas and quotes in cells shift columns
        buf.write(",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows))
    else:
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


@st.composite
def csv_shapes(draw, header: list[str]):
    """A CSV with the table's header (perhaps reordered, cut or padded), random rows of nasty cells, any encoding."""
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    cut = draw(st.integers(0, 2))
    header = list(header[cut:]) + draw(st.lists(st.sampled_from(["extra", "", "Org_ID ", "place_id"]), max_size=2))
    width = len(header)
    rows = draw(st.lists(st.lists(cells, min_size=max(width - 2, 0), max_size=width + 2), max_size=6))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return csv_bytes(header, rows, encoding, ragged=draw(st.booleans()))


TABLE_NAMES = list(TABLES)


@FUZZ
@given(table=st.sampled_from(TABLE_NAMES), data=st.binary(max_size=3000))
def test_validate_random_bytes_in_a_table(template, table, data):
    with fresh_copy(template) as root:
        (root / "study" / f"{table}.csv").write_bytes(data)
        check_validate(root)


@FUZZ
@given(st.data())
def test_validate_random_csv_shapes(template, data):
    table = data.draw(st.sampled_from(TABLE_NAMES))
    content = data.draw(csv_shapes(TABLES[table].column_names))
    with fresh_copy(template) as root:
        (root / "study" / f"{table}.csv").write_bytes(content)
        if data.draw(st.booleans()):  # and the same shape again as an imported file
            (root / "study" / "imports").mkdir()
            (root / "study" / "imports" / f"{table}-fuzz.csv").write_bytes(content)
        check_validate(root)


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=True),
                         st.text(max_size=20),
                         st.sampled_from(["2020-02-30", "007", "*a", "&a", "!!python/name:os.system"]))
yaml_values = st.recursive(yaml_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
SETTING_KEYS = ["name", "description", "illustrative", "tie_min_level", "disclosure_threshold", "nameable",
                "postcode_districts", "attribution", "name_funders", "colour"]


@st.composite
def study_ymls(draw) -> bytes:
    kind = draw(st.sampled_from(["settings", "any", "bytes", "alias"]))
    if kind == "settings":
        doc = draw(st.dictionaries(st.sampled_from(SETTING_KEYS), yaml_values, max_size=6))
        return yaml.safe_dump(doc, allow_unicode=True).encode("utf-8")
    if kind == "any":
        return yaml.safe_dump(draw(yaml_values), allow_unicode=True).encode("utf-8")
    if kind == "alias":
        depth = draw(st.integers(1, 6))
        lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, depth)]
        lines.append(f"name: *a{depth - 1}")
        return "\n".join(lines).encode()
    return draw(st.binary(max_size=400))


@FUZZ
@given(doc=study_ymls())
def test_validate_random_study_yml(template, doc):
    with fresh_copy(template) as root:
        (root / "study" / "study.yml").write_bytes(doc)
        out = check_validate(root)
        if doc.startswith(b"a0: &a0 [lol"):  # the nested alias bomb is refused, by name
            assert "uses a YAML alias (*a" in out


@st.composite
def grants_files(draw) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["csv", "csv", "csv", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.sampled_from(["g.csv", "g.json", "g.xlsx"])), draw(st.binary(max_size=2000))
    if kind == "json":
        grants = draw(st.lists(st.dictionaries(
            st.sampled_from(["id", "title", "currency", "amountAwarded", "awardDate", "recipientOrganization",
                             "fundingOrganization"]),
            st.one_of(cells, st.lists(st.dictionaries(st.sampled_from(["id", "name", "postalCode"]), cells,
                                                      max_size=3), max_size=2)), max_size=7), max_size=4))
        import json
        return "g.json", json.dumps({"grants": grants}).encode()
    header = GRANT_HEADER[: draw(st.integers(9, len(GRANT_HEADER)))]

    def mostly(valid: list[str]) -> str:  # one cell in ten is nasty, so most files import all the way
        return draw(cells) if draw(st.integers(0, 9)) == 0 else draw(st.sampled_from(valid))

    rows = []
    for _ in range(draw(st.integers(1, 4))):
        rows.append([
            mostly(["360G-a", "360g-A ", "360G-b", "360G-x-1"]), mostly(["Food", "=HYPERLINK(\"x\")"]),
            mostly(["GBP", "gbp", "USD"]), mostly(["100", "£1,250.50", "-5", "0"]),
            mostly(["2020-04-01", "20/04/2020", "43922", "2019-01-01"]),
            mostly(["GB-CHC-0000007", " gb-chc-0000007", "GB-NHS-N01", "nowhere"]), mostly(["Name"]),
            mostly(["GB-LAE-NTH", "gb-lae-nth"]), mostly(["Funder"]), mostly(["CV1 3HW", "", "XX"]),
            mostly(["E08000026", ""]), mostly(["2020-03-01", ""]), mostly(["open_call", "", "other"]),
        ][: len(header)])
    ragged = draw(st.integers(0, 3)) == 0
    return "g.csv", csv_bytes(header, rows, draw(st.sampled_from(["utf-8", "cp1252"])), ragged=ragged)


@FUZZ
@given(grants=grants_files(), twice=st.booleans())
def test_import_grants_random_files(template, grants, twice):
    name, content = grants
    with fresh_copy(template) as root:
        source = root / name
        source.write_bytes(content)
        check_import(root, source)
        if twice:  # importing the same file again adds nothing new and breaks nothing
            check_import(root, source)
        check_validate_after_import(root)


def check_validate_after_import(root: Path) -> None:
    """Whatever was imported, the study still loads (an import that would break it is taken back out)."""
    status, out = run_cli(["validate", str(root / "study")])
    assert status == 0, out[-2000:]

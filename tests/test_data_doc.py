"""docs/data.md, the data contract, agrees with the schema in the code: every table, column, rule."""

from __future__ import annotations

import re

import pytest

from analysis.paths import PROJECT_ROOT
from analysis.schema import TABLES

DOC = PROJECT_ROOT / "docs" / "data.md"
ROW = re.compile(r"\| `([^`]+)` \| (yes|no) \| ([^|]+) \| ([^|]*) \|.*\|")
KIND_WORDS = {"id": "identifier", "slug": "slug", "text": "text", "int": "whole number", "float": "number",
              "date": "date", "bool": "true/false", "enum": "one of"}


def documented_tables() -> dict[str, dict[str, dict]]:
    """{table: {column: {"required", "type", "allowed"}}} as the page's tables state them."""
    text = DOC.read_text(encoding="utf-8")
    tables, current = {}, None
    for line in text.splitlines():
        if m := re.fullmatch(r"### (\w+)", line):
            current = tables.setdefault(m[1], {})
        elif current is not None and (m := ROW.fullmatch(line)):
            current[m[1]] = {"required": m[2] == "yes", "type": m[3].strip(), "allowed": m[4].strip()}
    return tables


def test_every_table_of_the_schema_is_documented_and_no_other():
    assert set(documented_tables()) == set(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_column_is_documented_with_its_rule(name):
    documented = documented_tables()[name]
    table = TABLES[name]
    assert list(documented) == table.column_names, "columns differ, or are in another order"
    for column in table.columns:
        doc = documented[column.name]
        assert doc["required"] == column.required, column.name
        assert doc["type"] == KIND_WORDS[column.kind], column.name
        for value in column.values:
            assert f"`{value}`" in doc["allowed"], (column.name, value)
        if column.unique:
            assert "unique" in doc["allowed"], column.name
        for bound in (column.min, column.max):
            if bound is not None:
                assert str(int(bound)) in doc["allowed"], (column.name, bound)


def test_required_tables_say_so():
    text = DOC.read_text(encoding="utf-8")
    for name, table in TABLES.items():
        section = text[text.index(f"### {name}\n"):].split("\n|")[0]
        assert ("**Required table.**" in section) == table.required, name

"""Every statement and every table compiles for Oracle, with unquoted Banner names."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest
from sqlalchemy.dialects import oracle
from sqlalchemy.schema import CreateIndex, CreateTable

import sandbox.banner.summary  # noqa: F401  (registers the summary statements)
from tools.banner import queries
from tools.banner.schema import metadata

DIALECT = oracle.dialect()
BANNER_NAMES = {t.name for t in metadata.tables.values()} | {
    c.name for t in metadata.tables.values() for c in t.columns
}


def quoted_banner_names(sql: str) -> set[str]:
    """Banner tables or columns the compiler had to quote (labels may be quoted, names not)."""
    return set(re.findall(r'"([^"]+)"', sql)) & BANNER_NAMES


@pytest.mark.parametrize(
    ("builder", "sample"), queries.STATEMENTS, ids=[b.__name__ for b, _ in queries.STATEMENTS]
)
def test_statement_compiles_for_oracle(builder, sample) -> None:
    sql = str(builder(**sample).compile(dialect=DIALECT))
    assert not quoted_banner_names(sql)  # unquoted lower case resolves to Banner's upper case
    literal = str(
        builder(**sample).compile(dialect=DIALECT, compile_kwargs={"literal_binds": True})
    )
    assert literal


def test_every_public_builder_is_registered() -> None:
    package = queries.__name__
    builders = [m for m in pkgutil.iter_modules(queries.__path__) if m.name != "base"]
    assert {m.name for m in builders} >= {"persons", "sections", "registrations", "writes"}
    registered = {
        (b.__module__, b.__name__)
        for b, _ in queries.STATEMENTS
        if b.__module__.startswith(package)
    }
    public = {
        (fn.__module__, name)
        for m in builders
        for name, fn in inspect.getmembers(
            importlib.import_module(f"{package}.{m.name}"), inspect.isfunction
        )
        if fn.__module__ == f"{package}.{m.name}" and not name.startswith("_")
    }
    assert public == registered


@pytest.mark.parametrize("table", metadata.sorted_tables, ids=lambda t: t.name)
def test_table_ddl_compiles_for_oracle(table) -> None:
    ddl = str(CreateTable(table).compile(dialect=DIALECT))
    for suffix in (
        "activity_date",
        "user_id",
        "data_origin",
        "surrogate_id",
        "version",
        "vpdi_code",
    ):
        assert f"{table.name}_{suffix}" in ddl
    assert '"' not in ddl
    for index in table.indexes:
        assert '"' not in str(CreateIndex(index).compile(dialect=DIALECT))
        assert len(index.name or "") <= 30

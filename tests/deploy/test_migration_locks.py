"""The upgrade rule of docs/operations.md: a migration never locks a hot table for long.

A table that existed before a migration is hot (registers and agents write to it all
day). On such a table a migration may only do what PostgreSQL does without a long
ACCESS EXCLUSIVE or SHARE lock: add a nullable column or one with a constant default
(no rewrite since PostgreSQL 11), build an index CONCURRENTLY, add a constraint NOT VALID
(validated later, under a weaker lock). It may never rewrite a column's type, set NOT
NULL, add a unique constraint in place, LOCK a table, VACUUM FULL or CLUSTER. Tables
the same migration creates are empty and exempt.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parents[2] / "rewards_api" / "migrations" / "versions"
# Raw SQL that locks a table for the length of a scan or a rewrite.
FORBIDDEN_SQL = [
    (re.compile(r"\bLOCK\s+TABLE\b", re.I), "LOCK TABLE"),
    (re.compile(r"\bVACUUM\s+FULL\b", re.I), "VACUUM FULL"),
    (re.compile(r"\bCLUSTER\b", re.I), "CLUSTER"),
    (re.compile(r"\bCREATE\s+(UNIQUE\s+)?INDEX\b(?!\s+CONCURRENTLY)", re.I), "CREATE INDEX without CONCURRENTLY"),
    (re.compile(r"\bADD\s+CONSTRAINT\b(?!.*\bNOT\s+VALID\b)", re.I | re.S), "ADD CONSTRAINT without NOT VALID"),
    (re.compile(r"\bALTER\s+COLUMN\s+\w+\s+(SET\s+DATA\s+)?TYPE\b", re.I), "a column type change"),
    (re.compile(r"\bSET\s+NOT\s+NULL\b", re.I), "SET NOT NULL"),
]


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _column_problem(column: ast.expr) -> str | None:
    if not isinstance(column, ast.Call):
        return None
    keywords = _keywords(column)
    nullable = keywords.get("nullable")
    if isinstance(nullable, ast.Constant) and nullable.value is False:
        default = keywords.get("server_default")
        if default is None:
            return "adds a NOT NULL column without a server default"
        if "(" in ast.unparse(default).replace("sa.text(", "", 1):
            return "adds a NOT NULL column whose default is computed (a rewrite)"
    return None


def _call_problem(name: str, call: ast.Call) -> str | None:
    keywords = _keywords(call)
    if name == "create_index" and not _is_true(keywords.get("postgresql_concurrently")):
        return "creates an index without postgresql_concurrently=True"
    if name in ("create_foreign_key", "create_check_constraint") and not _is_true(
            keywords.get("postgresql_not_valid")):
        return f"{name} without postgresql_not_valid=True"
    if name == "create_unique_constraint":
        return "adds a unique constraint in place (build the index CONCURRENTLY first)"
    if name == "alter_column" and ("type_" in keywords or (
            isinstance(keywords.get("nullable"), ast.Constant)
            and keywords["nullable"].value is False)):  # type: ignore[attr-defined]
        return "alter_column changes a type or sets NOT NULL"
    if name == "add_column":
        return _column_problem(call.args[-1] if call.args else keywords.get("column"))  # type: ignore[arg-type]
    return None


def _sql_problems(call: ast.Call) -> list[str]:
    texts = [n.value for n in ast.walk(call) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return [f"runs SQL with {what}" for text in texts for pattern, what in FORBIDDEN_SQL
            if pattern.search(text)]


def _created_tables(upgrade: ast.FunctionDef) -> set[str]:
    """The tables ``upgrade()`` creates (empty, so exempt)."""
    return {c.args[0].value for c in ast.walk(upgrade)
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
            and c.func.attr == "create_table" and c.args and isinstance(c.args[0], ast.Constant)}


def _batch_table(node: ast.AST) -> str | None:
    """The table of ``with op.batch_alter_table('table') as batch_op:``, else None."""
    if not isinstance(node, ast.With):
        return None
    batch = node.items[0].context_expr
    if (isinstance(batch, ast.Call) and isinstance(batch.func, ast.Attribute)
            and batch.func.attr == "batch_alter_table" and batch.args
            and isinstance(batch.args[0], ast.Constant)):
        return str(batch.args[0].value)
    return None


def _named_table(name: str, call: ast.Call) -> str | None:
    """The table a plain ``op.<name>(...)`` call changes: op.create_index("ix", "table",
    ...), op.add_column("table", col), ..."""
    table_arg = {"create_index": 1, "add_column": 0, "alter_column": 0,
                 "create_foreign_key": 1, "create_check_constraint": 1,
                 "create_unique_constraint": 1}.get(name)
    if table_arg is None or len(call.args) <= table_arg:
        return None
    if isinstance(call.args[table_arg], ast.Constant):
        return str(call.args[table_arg].value)
    return "a table named at run time"  # a loop over tables: assume hot


def _op_problems(call: ast.Call, name: str, table: str | None, created: set[str]) -> list[str]:
    """How one ``op`` (or ``batch_op``) call inside a batch on ``table`` breaks the rule."""
    if name == "execute":
        return _sql_problems(call)
    target = table if table is not None else _named_table(name, call)
    problem = _call_problem(name, call) if target is not None and target not in created else None
    return [f"{target}: {problem}"] if problem else []


def _visit(node: ast.AST, table: str | None, created: set[str], found: list[str]) -> None:
    batch = _batch_table(node)
    if batch is not None:
        for child in node.body:  # type: ignore[attr-defined]
            _visit(child, batch, created, found)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        found.extend(_op_problems(node, node.func.attr, table, created))
    for child in ast.iter_child_nodes(node):
        _visit(child, table, created, found)


def problems(source: str) -> list[str]:
    """Every way the ``upgrade()`` of a migration's ``source`` breaks the rule."""
    tree = ast.parse(source)
    upgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
    created = _created_tables(upgrade)
    found: list[str] = []
    # upgrade() and the helpers it calls (every module-level function but downgrade).
    for function in tree.body:
        if isinstance(function, ast.FunctionDef) and function.name != "downgrade":
            for statement in function.body:
                _visit(statement, None, created, found)
    return found


# Migrations that break the rule, each with why it was acceptable. Keep this empty from
# the first production install on: a change like these is then a new column filled in
# batches, switched over in a later migration.
EXCEPTIONS = {
    "0007_bigint_points_and_money.py": "64-bit points and money (an ALTER TYPE rewrite) went "
    "in before any chain ran in production, on tables that were still small",
}


@pytest.mark.parametrize("path", sorted(VERSIONS.glob("*.py")), ids=lambda p: p.name)
def test_migration_keeps_hot_tables_unlocked(path: Path) -> None:
    found = problems(path.read_text())
    if path.name in EXCEPTIONS:
        assert found, f"{path.name} keeps the rule now: take it off EXCEPTIONS"
    else:
        assert found == []


BAD = '''
def upgrade():
    with op.batch_alter_table('ledger_entries') as batch_op:
        batch_op.create_index('ix_ledger_entries_kind', ['kind'])
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=False))
        batch_op.alter_column('amount', type_=sa.BigInteger())
    op.create_foreign_key('fk_x', 'holds', 'stores', ['store_id'], ['id'])
    op.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
    op.execute("CREATE INDEX ix_a ON accounts (balance)")
    op.execute("ALTER TABLE holds ADD CONSTRAINT ck CHECK (amount > 0)")
'''

GOOD = '''
def upgrade():
    op.create_table('coupons', sa.Column('id', sa.Integer(), nullable=False))
    with op.batch_alter_table('coupons') as batch_op:
        batch_op.create_index('ix_coupons_id', ['id'])
    with op.get_context().autocommit_block():
        op.create_index('ix_ledger_entries_kind', 'ledger_entries', ['kind'], postgresql_concurrently=True)
    with op.batch_alter_table('visits') as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('adverts', sa.Integer(), server_default='0', nullable=False))
    op.create_foreign_key('fk_x', 'holds', 'stores', ['store_id'], ['id'], postgresql_not_valid=True)
    op.execute("ALTER TABLE holds ADD CONSTRAINT ck CHECK (amount > 0) NOT VALID")
'''


def test_the_check_catches_each_kind_of_long_lock() -> None:
    assert len(problems(BAD)) == 7, problems(BAD)
    assert problems(GOOD) == []

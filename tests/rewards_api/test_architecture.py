"""Rules about the code itself, read from its source with ``ast`` (no import needed):
one clock (``rewards_api/clock.py``) and one direction of imports between the
packages of ``rewards_api`` (written down in ``docs/architecture.md``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import rewards_api

ROOT = Path(rewards_api.__file__).parent

# Calls that read the system clock. ``something.now()`` is a clock read too
# (``datetime.now()``, pyotp's ``TOTP.now()``) unless it is ``clock.now()``.
WALL_CLOCK_CALLS = {("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                    ("time", "time"), ("time", "time_ns"), ("time", "localtime"),
                    ("time", "gmtime")}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(ROOT.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if not name.startswith("migrations/"):
            yield name, ast.parse(path.read_text(), filename=str(path))


def _clock_reads(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attribute, owner = node.func.attr, node.func.value
            owner_name = (owner.id if isinstance(owner, ast.Name)
                          else owner.attr if isinstance(owner, ast.Attribute) else "")
            if ((attribute == "now" and owner_name != "clock")
                    or (owner_name, attribute) in WALL_CLOCK_CALLS):
                found.append(f"line {node.lineno}: {owner_name}.{attribute}()")
        if isinstance(node, ast.Name | ast.Attribute | ast.alias):
            name = (node.id if isinstance(node, ast.Name)
                    else node.attr if isinstance(node, ast.Attribute) else node.name)
            if name == "utcnow":
                found.append(f"line {getattr(node, 'lineno', 0)}: utcnow")
    return found


def test_only_the_clock_module_reads_the_system_clock():
    reads = {}
    for name, tree in _modules():
        found = _clock_reads(tree) if name != "clock.py" else []
        if found:
            reads[name] = found
    assert reads == {}, "ask rewards_api.clock.now() (or clock.wall() for checkout codes)"


def test_the_clock_rule_sees_a_wall_clock_read():
    tree = ast.parse("import datetime as dt\nfrom rewards_api import clock\n"
                     "a = dt.datetime.now(dt.UTC)\nb = clock.now()\nc = totp.now()\n"
                     "d = time.time()\nfrom rewards_api.db import utcnow\n")
    assert _clock_reads(tree) == ["line 3: datetime.now()", "line 5: totp.now()",
                                  "line 6: time.time()", "line 7: utcnow"]


# The one direction of imports (docs/architecture.md): a part imports only parts of its
# own layer or below, and the graph has no cycle. A package's ``views`` module is a part
# of its own, in the web edge: views import domains, never the other way round.
LAYERS = [
    # foundations: no domain knowledge (idempotency: the request's unit of work)
    # (languages, i18n: the request's language; audit: the append-only trail of changes;
    # localized: data's names per language)
    {"errors", "clock", "settings", "credentials", "db", "mail", "observability",
     "api_docs", "schema_migrations", "idempotency", "languages", "i18n", "i18n_extract",
     "audit", "localized"},
    # the ledger and the things every domain names
    # (refusals: what shoppers were refused, anonymously, for the results)
    {"ledger", "products", "stores", "refusals"},
    # who: shoppers, staff, agents, and where shoppers were
    {"shoppers", "staff", "agents", "visits"},
    # what happens in a store
    {"pos", "scans", "signin", "walkins", "assist"},
    # readers across domains
    {"history", "privacy", "dashboard", "demo_seed", "models", "live", "manage"},
    # the web edge: request identity, schemas, the views, the app factory
    {"auth", "request_guard", "schemas", "http_errors", "health",
     "gunicorn_conf", "gunicorn_host", "admin.views", "agents.views", "assist.views",
     "dashboard.views", "pages.views", "pos.views", "scans.views", "shoppers.views", "signin.views",
     "stores.views", "walkins.views", "live.views", "manage.views", "admin", "pages",
     "commands", "__init__"},
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}
# The one known exception: the command-line modules import back from the central
# ``rewards_api/cli.py`` (a cycle through every package that has commands). Issue 16
# gives each package its own command group (flaskr's ``init_app``); then this goes.
CLI_MODULES = {"cli.py"}


def _part(module: str) -> str:
    """``rewards_api.pos.checkout`` -> ``pos``; ``rewards_api.pos.views`` -> ``pos.views``;
    ``rewards_api.auth`` -> ``auth``; ``rewards_api`` -> ``__init__``."""
    names = module.split(".")[1:]
    if not names:
        return "__init__"
    return ".".join(names[:2]) if names[1:2] == ["views"] else names[0]


def _imported(tree: ast.AST) -> list[str]:
    """The rewards_api modules a module's ``tree`` imports (absolute imports)."""
    targets: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "rewards_api":
                targets += [f"rewards_api.{alias.name}" for alias in node.names]
            elif node.module.startswith("rewards_api."):
                targets.append(node.module)
        elif isinstance(node, ast.Import):
            targets += [a.name for a in node.names if a.name.startswith("rewards_api.")]
    return targets


def import_graph() -> dict[str, set[str]]:
    """Part -> the parts of rewards_api it imports (the CLI modules left out)."""
    graph: dict[str, set[str]] = {}
    for name, tree in _modules():
        if name.rsplit("/", 1)[-1] in CLI_MODULES:
            continue
        module = "rewards_api." + name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        if name == "__init__.py":
            module = "rewards_api"
        source = _part(module)
        graph.setdefault(source, set()).update(
            _part(target) for target in _imported(tree) if not target.endswith(".cli"))
        graph[source].discard(source)
    return graph


def test_rewards_api_imports_have_no_cycle():
    graph = import_graph()
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' -> '.join(cycle.args[1])}") from None


def test_every_part_has_a_layer_and_imports_only_downwards():
    graph = import_graph()
    parts = set(graph) | {target for targets in graph.values() for target in targets}
    assert parts - set(RANK) == set(), "give the new part its layer in LAYERS"
    upwards = sorted(f"{source} -> {target}" for source, targets in graph.items()
                     for target in targets if RANK[target] > RANK[source])
    assert upwards == []


def test_the_cycle_check_sees_a_cycle():
    with pytest.raises(CycleError):
        TopologicalSorter({"pos": {"shoppers"}, "shoppers": {"pos"}}).prepare()


def _training_branches(tree: ast.Module) -> list[int]:
    """Lines where a condition reads ``<something>.training``."""
    conditions = [node.test for node in ast.walk(tree)
                  if isinstance(node, ast.If | ast.IfExp | ast.While | ast.Assert)]
    conditions += [value for node in ast.walk(tree) if isinstance(node, ast.BoolOp)
                   for value in node.values]
    return sorted({node.lineno for condition in conditions for node in ast.walk(condition)
                   if isinstance(node, ast.Attribute) and node.attr == "training"})


def test_only_the_wallet_decides_by_training_mode():
    branches = {name: lines for name, tree in _modules()
                if name.startswith("pos/") and name != "pos/wallet.py"
                and (lines := _training_branches(tree))}
    assert branches == {}, "ask the checkout's Wallet (pos/wallet.py) instead"


def test_the_training_rule_sees_a_branch():
    tree = ast.parse("if checkout.training:\n    pass\nx = 1 if a and c.training else 2\n"
                     "receipt = {'training': checkout.training}\n")
    assert _training_branches(tree) == [1, 3]


INSERTS = {"insert", "insert_ignoring_conflicts", "dialect_insert"}


def _ledger_writes(tree: ast.Module) -> list[int]:
    """Lines that write a ledger entry (``LedgerEntry(...)``, an INSERT of it) or set a
    cached balance (``.values(balance=...)``)."""
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = (node.func.id if isinstance(node.func, ast.Name)
                else node.func.attr if isinstance(node.func, ast.Attribute) else "")
        names = {n.id for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
        if (name == "LedgerEntry" or (name in INSERTS and "LedgerEntry" in names)
                or (name == "values" and any(k.arg == "balance" for k in node.keywords))):
            found.add(node.lineno)
    return sorted(found)


def test_only_the_ledger_credits_and_debits():
    writes = {name: lines for name, tree in _modules()
              if name != "ledger/services.py" and (lines := _ledger_writes(tree))}
    assert writes == {}, "move points with rewards_api.ledger.services credit() or debit()"


def test_the_ledger_rule_sees_a_write():
    tree = ast.parse("s.add(LedgerEntry(amount=1))\n"
                     "s.execute(dialect_insert(s, LedgerEntry).values(amount=1))\n"
                     "update(accounts).values(balance=accounts.c.balance + 1)\n"
                     "select(LedgerEntry)\n")
    assert _ledger_writes(tree) == [1, 2, 3]

"""Rules about the code itself, read from its source with ``ast`` (no import needed):
one clock (``rewards_api/clock.py``) and one direction of imports between the
packages of ``rewards_api`` (written down in ``docs/architecture.md``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import rewards_api

ROOT = Path(rewards_api.__file__).parent

# Calls that read the system clock. ``something.now()`` is a clock read too
# (``datetime.now()``, pyotp's ``TOTP.now()``) unless it is ``clock.now()``.
WALL_CLOCK_CALLS = {("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                    ("time", "time"), ("time", "time_ns"), ("time", "localtime"),
                    ("time", "gmtime")}
# The modules still calling ``db.utcnow()`` (now ``clock.now()`` underneath): the
# command-line modules, which the back-office work (issue 16) rewrites.
UTCNOW_CALLERS = {"cli.py", "agents/cli.py", "walkins/cli.py"}


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
        found = _clock_reads(tree) if name not in {"clock.py", *UTCNOW_CALLERS} else []
        if name == "db.py":  # defines the alias the command-line modules still call
            found = [read for read in found if not read.endswith(": utcnow")]
        if found:
            reads[name] = found
    assert reads == {}, "ask rewards_api.clock.now() (or clock.wall() for checkout codes)"


def test_the_clock_rule_sees_a_wall_clock_read():
    tree = ast.parse("import datetime as dt\nfrom rewards_api import clock\n"
                     "a = dt.datetime.now(dt.UTC)\nb = clock.now()\nc = totp.now()\n"
                     "d = time.time()\nfrom rewards_api.db import utcnow\n")
    assert _clock_reads(tree) == ["line 3: datetime.now()", "line 5: totp.now()",
                                  "line 6: time.time()", "line 7: utcnow"]

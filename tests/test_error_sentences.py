"""Every sentence an error carries is an English literal that ``make i18n`` extracts, with
named placeholders filled after translation (``params``): a sentence built before it is
raised (an f-string, ``%`` or ``.format``) is never in the catalogs, so a German or
Portuguese caller would read English or the code's general sentence. Read from the
source with ``ast``, in the spirit of ``tests/rewards_api/test_architecture.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pos_plugin
import rewards_api

PACKAGES = (Path(rewards_api.__file__).parent, Path(pos_plugin.__file__).parent)

# The error types and the position of their sentence (babel.cfg's keywords, the Makefile's
# I18N_KEYWORDS): ApiError's, RewardsError's and NotEligible's second argument,
# db.unique's third.
SENTENCE_AT = {"ApiError": 1, "RewardsError": 1, "NotEligible": 1, "unique": 2}


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _built(sentence: ast.expr) -> bool:
    """Whether the expression builds a sentence: an f-string, ``%``, ``+`` or ``.format``."""
    return any(isinstance(node, ast.JoinedStr)
               or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add))
               or (isinstance(node, ast.Call) and _called(node) == "format")
               for node in ast.walk(sentence))


def built_sentences(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _called(node) not in SENTENCE_AT:
            continue
        at = SENTENCE_AT[_called(node)]  # type: ignore[index]
        sentences = node.args[at:at + 1] + [k.value for k in node.keywords if k.arg == "message"]
        found += [f"line {node.lineno}: {ast.unparse(s)}" for s in sentences if _built(s)]
    return found


def test_no_error_sentence_is_built_before_it_is_raised():
    built = {}
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            found = built_sentences(ast.parse(path.read_text(), filename=str(path)))
            if found:
                built[f"{package.name}/{path.relative_to(package)}"] = found
    assert built == {}, ('write the sentence as a literal with %(name)s placeholders and '
                         'pass params={"name": value}')


def test_the_rule_sees_a_built_sentence():
    tree = ast.parse(
        'raise ApiError("invalid_request", f"No store {code}.")\n'
        'raise RewardsError("wrong_step", "Before you %s." % step, 409)\n'
        'db.unique(s, "code_taken", "Code {} taken.".format(code))\n'
        'raise ApiError("forbidden", message="A " + role + " may not.")\n'
        'raise ApiError("store_not_found", "No store %(code)s.", params={"code": code})\n'
        'raise ApiError("internal_error", error.description)\n')
    assert [line.split(":")[0] for line in built_sentences(tree)] == [
        "line 1", "line 2", "line 3", "line 4"]

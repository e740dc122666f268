"""The Python extractor of ``make i18n`` (named in ``babel.cfg``).

Babel's own Python extractor reads tokens, so every string inside a call counts as an
argument, keys of ``details={...}`` included. This one reads the syntax tree: a call's
positional argument is extracted only when it is a plain string (implicitly joined
literals too, f-strings never: those fall back to the code's registered sentence).
The keywords (``-k`` in the Makefile) name the function and the argument's position.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def extract(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
            options: Mapping[str, Any]) -> Iterator[tuple[int, str, tuple[str | None, ...],
                                                          list[str]]]:
    """Babel's extraction-method interface: per call of a keyword, its positional
    arguments (None where not a plain string); Babel picks the one its keyword names."""
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node)
        if name is None or name not in keywords or not node.args:
            continue
        arguments = tuple(a.value if isinstance(a, ast.Constant) and isinstance(a.value, str)
                          else None for a in node.args)
        yield node.lineno, name, arguments, []

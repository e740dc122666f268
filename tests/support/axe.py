"""axe-core (Deque's accessibility engine) in a page under test: the built file of the
npm package ``axe-core`` is vendored beside this module (tests only: the served pages
never load it). The page's context needs ``bypass_csp=True``: the pages allow only
their own scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# The impacts that fail a test; "minor" and "moderate" ones are reported by axe too,
# but the bar for every page is no serious or critical violation.
FAILING = ("serious", "critical")


def serious_violations(page: Any) -> list[str]:
    """Run axe on the page as it is now; one line per serious or critical violation,
    naming the rule, what it asks and (up to three of) the elements that break it."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']}: "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
            for v in result["violations"] if v["impact"] in FAILING]

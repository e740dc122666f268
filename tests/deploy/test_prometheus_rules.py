"""deploy/prometheus: promtool accepts the rules and their unit tests pass, and every
series and endpoint the rules name is one the API really exposes on /metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rewards-api-rules.yml"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def test_promtool_checks_the_rules_and_their_tests() -> None:
    for command in (["check", "rules", RULES.name], ["test", "rules", "rewards-api-rules.test.yml"]):
        result = subprocess.run([PROMTOOL, *command], cwd=RULES.parent, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def _expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def _exposed(app: Any, api: Any, world: Any) -> tuple[set[str], str]:
    # A few answers so that labelled series have children to show.
    api.get("/healthz")
    api.get("/v1/nothing-here")
    api.post("/v1/me/scans", json={}, auth="st_wrong")
    text = api.get("/metrics").get_data(as_text=True)
    names = set(re.findall(r"^# TYPE (\w+) ", text, re.M))
    names |= {m for name in list(names) for m in (f"{name}_bucket", f"{name}_sum", f"{name}_count",
                                                   f"{name}_total")}
    names |= set(re.findall(r"^(\w+)[{ ]", text, re.M))
    return names, text


def test_rules_name_only_series_and_endpoints_the_api_has(app: Any, api: Any, world: Any) -> None:
    names, text = _exposed(app, api, world)
    assert "rewards_http_requests_total" in names, text[:500]
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for expr in _expressions():
        for series in re.findall(r"\b(rewards_\w+)\b", expr):
            assert series in names, f"{series} is not on /metrics"
        for value in re.findall(r'endpoint=~?"([^"]+)"', expr):
            for endpoint in value.split("|"):
                assert endpoint in endpoints, f"no endpoint {endpoint}"
        for area in re.findall(r'area="([^"]+)"', expr):
            assert area in _rejection_areas(), f"no rejections are counted in area {area}"


def _rejection_areas() -> set[str]:
    sources = (ROOT / "rewards_api").rglob("*.py")
    return {area for path in sources
            for area in re.findall(r'REJECTIONS\.labels\("(\w+)"', path.read_text())}

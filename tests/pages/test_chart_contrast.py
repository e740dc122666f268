"""The dashboard charts meet WCAG AA contrast: computed from the colours each chart's
own stylesheet gives its text, bars and printed values, against its background."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from rewards_api import create_app
from rewards_api.dashboard import charts

FIGURES = {
    "days": 7,
    "today": {"per_hour": [0] * 9 + [3, 5, 8, 2] + [0] * 11},
    "last_days": {
        "per_hour": [0] * 9 + [14, 20, 30, 9] + [0] * 11,
        "programs": [{"program_name": name, "per_day": [
            {"day": f"2026-11-{14 + n}", "points_issued": 10 * n + k} for n in range(7)]}
            for k, name in enumerate(["Corner Points", "Partner Plus", "A", "B", "C"])],
        "adoption": {"cashiers": [{"name": "Anna", "share": 0.8}, {"name": "Ben", "share": 0.02}]},
    },
}


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of #rrggbb (or black/white)."""
    colour = {"black": "#000000", "white": "#ffffff"}.get(colour, colour)
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def rules(svg: str) -> dict[str, str]:
    """selector (without the chart's id) -> declarations, from the chart's stylesheets."""
    css = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", svg, re.S)).replace("&gt;", ">")
    found: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        for selector in selectors.split(","):
            key = re.sub(r"#chart-[0-9a-f-]+ ?", "", selector).strip()
            found[key] = found.get(key, "") + ";" + body
    return found


def colour_of(declarations: str, prop: str) -> str:
    return re.findall(rf"(?<![-\w]){prop}:\s*(#[0-9a-fA-F]{{6}}|black|white)", declarations)[-1]


def test_the_contrast_formula_matches_wcag():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.fixture(scope="module")
def request_context() -> Iterator[None]:
    """The charts write their titles in the request's language (English here)."""
    app = create_app({"DATABASE_URL": "sqlite://", "ENV": "test", "SECRET_KEY": "test-secret",
                      "LOG_JSON": False, "TESTING": True})
    with app.test_request_context():
        yield


@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_chart_text_bars_and_values_meet_wcag_aa(name, request_context):
    css = rules(charts.CHARTS[name](FIGURES))
    background = colour_of(css[".plot > .background"], "fill")
    assert colour_of(css[""], "background-color") == background
    for text in (".title", ".legends .legend text", ".axis text.major", ".graph", ".max-value"):
        assert contrast(colour_of(css[text], "fill"), background) >= 4.5, text
    series = sorted(k for k in css if re.fullmatch(r"\.color-\d+", k))
    assert series, "no series colours found"
    for selector in series:
        bar = colour_of(css[selector], "fill")
        assert contrast(bar, background) >= 3, f"{selector} bars against the background"
        value = colour_of(css[f".text-overlay {selector} text"], "fill")
        assert contrast(value, bar) >= 4.5, f"{selector} values on their bar"
        assert contrast(value, background) >= 4.5, f"{selector} values beside a short bar"
    assert "fill-opacity:1" in css[".reactive"].replace(" ", "")

"""The dashboard's charts as SVG pictures, drawn by pygal from the dashboard figures.

No JavaScript in them (pygal's tooltips would load scripts from the internet): values
are printed on the bars instead, so the pictures read the same on paper. Titles, series,
days and values are in the request's language (rewards_api.i18n), formatted by Babel.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import flask_babel
import pygal
from flask_babel import gettext
from pygal.style import Style

# WCAG AA on the white background: text at least 4.5:1; bars at least 3:1 (1.4.11,
# graphics); the values printed on the bars are black, at least 4.5:1 on every bar
# colour and on the white beside a short bar. So the bars are mid-tones (relative
# luminance 0.18-0.25), never dark ones. tests/pages/test_chart_contrast.py checks it.
STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1b1b1b",
    foreground_strong="#1b1b1b", foreground_subtle="#5e5e5e",
    colors=("#3b7dd8", "#c96a12", "#3f9142", "#e0524a", "#9b6cc7"),
    value_colors=("#000000",) * 5,
    font_family="DejaVu Sans, sans-serif", label_font_size=12, major_label_font_size=12,
    legend_font_size=13, title_font_size=15, value_font_size=11, opacity="1",
    opacity_hover="1", transition="0s",
)
def _common(**overrides: Any) -> dict[str, Any]:
    """The options every chart shares, in the request's language."""
    return {"style": STYLE, "js": [], "disable_xml_declaration": True, "width": 720,
            "height": 320, "legend_at_bottom": True, "print_values": True,
            "print_zeroes": False, "no_data_text": gettext("Nothing yet"), "margin": 12,
            "value_formatter": flask_babel.format_decimal, **overrides}


def _svg(chart: Any) -> str:
    """The chart as an SVG document without pygal's configuration script (the
    pictures carry no code; the pages' policy would refuse it anyway)."""
    tree = chart.render_tree()
    for defs in tree.iter("defs"):
        for script in defs.findall("script"):
            defs.remove(script)
    return ET.tostring(tree, encoding="unicode")


def walk_ins(figures: dict[str, Any]) -> str:
    """Walk-ins per hour of the day: today beside an average day of the period."""
    days = figures["days"]
    chart = pygal.Bar(title=gettext("Walk-ins per hour"),
                      x_title=gettext("Hour of the day (store time)"), **_common())
    chart.x_labels = [f"{hour:02d}" for hour in range(24)]
    chart.add(gettext("Today"), figures["today"]["per_hour"])
    chart.add(gettext("Average day, last %(days)s days", days=days),
              [round(count / days, 1) for count in figures["last_days"]["per_hour"]])
    return _svg(chart)


def points_issued(figures: dict[str, Any]) -> str:
    """Points issued per day of the period, one series per program."""
    chart = pygal.Bar(title=gettext("Points issued per day"), **_common())
    programs = figures["last_days"]["programs"]
    days = [d["day"] for d in programs[0]["per_day"]] if programs else []
    chart.x_labels = [flask_babel.format_date(dt.date.fromisoformat(day), "EEE d")
                      for day in days]
    for program in programs:
        chart.add(program["program_name"], [d["points_issued"] for d in program["per_day"]])
    return _svg(chart)


def adoption(figures: dict[str, Any]) -> str:
    """Per cashier over the period, the share of sales with a reward within reach where
    rewards were applied, in percent."""
    cashiers = [c for c in figures["last_days"]["adoption"]["cashiers"] if c["share"] is not None]
    chart = pygal.HorizontalBar(
        title=gettext("Cashier adoption (share of sales with rewards applied, in percent)"), range=(0, 100),
        **_common(height=max(160, 60 + 40 * len(cashiers))))
    chart.x_labels = [c["name"] for c in cashiers]
    chart.add(gettext("Rewards applied"), [round(100 * c["share"]) for c in cashiers])
    return _svg(chart)


# Chart name (in the URL) -> how to draw it from the dashboard figures.
CHARTS = {"walk-ins": walk_ins, "points": points_issued, "adoption": adoption}

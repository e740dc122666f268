"""The back office's sections, in the order of its navigation: the one list the shell
and the tests read. A new section is its template (extending ``manage/layout.html``)
named here. Titles, summaries and audiences are English, marked for translation and
translated where the shell draws them."""

from __future__ import annotations

from dataclasses import dataclass

from rewards_api.i18n import N_

MANAGER = N_("manager")
CHAIN_ADMIN = N_("chain admin")
PARTNER_OPERATOR = N_("partner operator")


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    summary: str
    audience: tuple[str, ...]
    # The page's template under rewards_api/pages/templates.
    template: str


SECTIONS: tuple[Section, ...] = (
    Section("campaigns", N_("Campaigns"),
            N_("Scan campaigns with their budget use and scans."),
            (MANAGER, CHAIN_ADMIN), template="manage/campaigns.html"),
    Section("shelf-tags", N_("Shelf tags"),
            N_("Printable tags for today's campaign products."),
            (MANAGER, CHAIN_ADMIN), template="manage/shelf_tags.html"),
    Section("rewards", N_("Rewards"),
            N_("The rewards of each program."),
            (MANAGER, CHAIN_ADMIN, PARTNER_OPERATOR), template="manage/rewards.html"),
    Section("rules", N_("Rules"),
            N_("Earn rules and walk-in rules, with a preview."),
            (MANAGER, CHAIN_ADMIN), template="manage/rules.html"),
    Section("products", N_("Products"),
            N_("The product list and its import."), (MANAGER, CHAIN_ADMIN),
            template="manage/products.html"),
    Section("people", N_("People and keys"),
            N_("Staff keys and registers."), (MANAGER, CHAIN_ADMIN),
            template="manage/people.html"),
    Section("agents", N_("Agents"),
            N_("Beacon agents: enrolment, tuning, calibration."),
            (MANAGER, CHAIN_ADMIN), template="manage/agents.html"),
    Section("audit", N_("Audit log"),
            N_("Who changed what, when."), (MANAGER, CHAIN_ADMIN),
            template="manage/audit.html"),
    Section("chain", N_("Stores side by side"),
            N_("Every store of the chain for a period."),
            (CHAIN_ADMIN,), template="manage/chain.html"),
    Section("results", N_("Results"),
            N_("The funnel from walk-in to checkout, against the "
            "previous 4 weeks."), (MANAGER, CHAIN_ADMIN), template="manage/results.html"),
)

SLUGS = frozenset(section.slug for section in SECTIONS)


def by_slug(slug: str) -> Section:
    return next(section for section in SECTIONS if section.slug == slug)

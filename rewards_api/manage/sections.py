"""The back office's sections, in the order of its navigation: the one list the shell
and the tests read. A new section is its template (extending ``manage/layout.html``)
named here."""

from __future__ import annotations

from dataclasses import dataclass

MANAGER = "manager"
CHAIN_ADMIN = "chain admin"
PARTNER_OPERATOR = "partner operator"


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    summary: str
    audience: tuple[str, ...]
    # The page's template under rewards_api/pages/templates.
    template: str


SECTIONS: tuple[Section, ...] = (
    Section("campaigns", "Campaigns", "Scan campaigns with their budget use and scans.",
            (MANAGER, CHAIN_ADMIN), template="manage/campaigns.html"),
    Section("shelf-tags", "Shelf tags", "Printable tags for today's campaign products.",
            (MANAGER, CHAIN_ADMIN), template="manage/shelf_tags.html"),
    Section("rewards", "Rewards", "The rewards of each program.",
            (MANAGER, CHAIN_ADMIN, PARTNER_OPERATOR), template="manage/rewards.html"),
    Section("rules", "Rules", "Earn rules and walk-in rules, with a preview.",
            (MANAGER, CHAIN_ADMIN), template="manage/rules.html"),
    Section("products", "Products", "The product list and its import.", (MANAGER, CHAIN_ADMIN),
            template="manage/products.html"),
    Section("people", "People and keys", "Staff keys and registers.", (MANAGER, CHAIN_ADMIN),
            template="manage/people.html"),
    Section("agents", "Agents", "Beacon agents: enrolment, tuning, calibration.",
            (MANAGER, CHAIN_ADMIN), template="manage/agents.html"),
    Section("audit", "Audit log", "Who changed what, when.", (MANAGER, CHAIN_ADMIN),
            template="manage/audit.html"),
    Section("chain", "Stores side by side", "Every store of the chain for a period.",
            (CHAIN_ADMIN,), template="manage/chain.html"),
    Section("results", "Results", "The funnel from walk-in to checkout, against the "
            "previous 4 weeks.", (MANAGER, CHAIN_ADMIN), template="manage/results.html"),
)

SLUGS = frozenset(section.slug for section in SECTIONS)


def by_slug(slug: str) -> Section:
    return next(section for section in SECTIONS if section.slug == slug)

"""Troubleshooting covers every error code a cashier or shopper can meet, and no other name.

The codes are those of the API's registry (``rewards_api.errors.REGISTRY``) whose
audience includes cashiers or shoppers, plus the few the register's panel shows on its
own (``pos_plugin.errors.LOCAL_ERRORS`` and the page's script).
"""

from __future__ import annotations

from collections import Counter

import pytest

from rewards_api.errors import CASHIER, MANAGER, REGISTRY, SHOPPER
from tests.staff_guide import guide


def api_codes_for_staff_and_shoppers() -> set[str]:
    return {e.code for e in REGISTRY.values() if {CASHIER, SHOPPER} & set(e.audience)}


def codes_to_document() -> set[str]:
    return api_codes_for_staff_and_shoppers() | guide.register_codes()


def test_every_code_a_cashier_or_shopper_meets_has_an_entry() -> None:
    missing = codes_to_document() - set(guide.troubleshooting_entries())
    assert not missing, f"troubleshooting.md has no entry for: {sorted(missing)}"


def test_every_entry_names_a_code_that_exists() -> None:
    unknown = set(guide.troubleshooting_entries()) - set(REGISTRY) - guide.register_codes()
    assert not unknown, f"troubleshooting.md documents codes that do not exist: {sorted(unknown)}"


def test_entries_are_for_cashiers_and_shoppers_and_appear_once() -> None:
    entries = guide.troubleshooting_entries()
    assert [c for c, n in Counter(entries).items() if n > 1] == []
    others = set(entries) - codes_to_document()
    assert not others, f"not met by a cashier or shopper, document them elsewhere: {others}"


# How an entry says what a code means and what to do, in each language of the guide.
PARTS = {
    guide.ENGLISH: ("**Meaning:**", "**What to do:**"),
    "de": ("**Bedeutung:**", "**Was tun:**"),
    "pt": ("**Significado:**", "**O que fazer:**"),
}
TRANSLATIONS = [language for language in guide.LANGUAGES if language != guide.ENGLISH]


@pytest.mark.parametrize("language", guide.LANGUAGES)
def test_every_entry_says_what_it_means_and_what_to_do(language: str) -> None:
    bodies = guide.entry_bodies(language)
    assert set(bodies) == set(guide.troubleshooting_entries(language))
    for code, body in bodies.items():
        for part in PARTS[language]:
            assert part in body, f"{language} {code}: missing {part}"
            sentence = body.split(part, 1)[1].strip().split("\n", 1)[0]
            assert len(sentence.split()) >= 3, f"{language} {code}: {part} says too little"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_every_translated_troubleshooting_page_has_the_same_entries(language: str) -> None:
    """A cashier in Berlin or Lisbon finds every code on their page, in the same order
    as the English page, each code once, untranslated (it is the anchor other pages
    link to)."""
    assert guide.page_path("troubleshooting.md", language).is_file(), (
        f"troubleshooting.md is not translated into {language}")
    entries = guide.troubleshooting_entries(language)
    missing = codes_to_document() - set(entries)
    assert not missing, f"troubleshooting.{language}.md has no entry for: {sorted(missing)}"
    assert entries == guide.troubleshooting_entries(), language


def test_codes_named_anywhere_in_the_guide_exist() -> None:
    known = set(REGISTRY) | guide.register_codes()
    unknown = {code: pages for code, pages in guide.code_like_mentions().items()
               if code not in known}
    assert not unknown, f"the guide names codes that do not exist: {unknown}"


def test_every_code_a_manager_meets_is_in_the_guide() -> None:
    """Codes for managers only are in the managers' page; the rest in troubleshooting."""
    managers_page = {span for span, pages in guide.inline_codes().items()
                     if "managers.md" in pages}
    documented = set(guide.troubleshooting_entries()) | managers_page
    missing = {e.code for e in REGISTRY.values() if MANAGER in e.audience} - documented
    assert not missing, f"neither troubleshooting.md nor managers.md explains: {sorted(missing)}"

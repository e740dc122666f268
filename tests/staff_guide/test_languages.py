"""The guide in German and Portuguese (mkdocs-static-i18n): it builds strictly in all
three languages, each translated page says in its language what the product shows in
that language (the panel's labels, the app's texts), names only codes that exist, keeps
the English page's sections and anchors, and the translated register card still prints
on one page. Quizzes in every language ask as many questions, each pointing into the
guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages import pofile
from babel.support import Translations
from playwright.sync_api import Browser

from pos_plugin.labels import LABELS
from rewards_api.errors import REGISTRY
from tests.staff_guide import guide
from tests.staff_guide.test_build import build, pdf_pages
from tests.staff_guide.test_quiz import LINK, QUESTION
from tests.staff_guide.test_structure import LONGEST_SENTENCE, sentences

TRANSLATIONS = ("de", "pt")
# Every page of the guide is in every language, in its own words (issue 20): a page
# added in English only fails here until it is translated.
MUST_BE_TRANSLATED = set(guide.pages())
ROOT = guide.ROOT


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guide-languages") / "site"
    result = build(path, strict=True)
    assert result.returncode == 0, result.stderr
    return path


@pytest.mark.parametrize("language", guide.LANGUAGES)
def test_every_page_is_built_in_every_language(site: Path, language: str) -> None:
    folder = site if language == guide.ENGLISH else site / language
    for name in guide.pages():
        html = (folder / name.replace(".md", ".html")).read_text()
        assert f'<html lang="{language}"' in html, (language, name)
    for name, text in ({} if language == guide.ENGLISH else guide.translations(language)).items():
        title = re.search(r"^# (.+)$", text, re.MULTILINE)
        assert title is not None
        html = (folder / name.replace(".md", ".html")).read_text()
        assert f">{title.group(1)}</h1>" in html, (language, name)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_every_page_is_translated(language: str) -> None:
    missing = MUST_BE_TRANSLATED - set(guide.translations(language))
    assert not missing, f"{language}: translate {sorted(missing)}"


def _screens(language: str) -> set[str]:
    """What the product shows in ``language``: the panel's labels and every translated
    text of the API's pages."""
    panel = Translations.load(str(ROOT / "pos_plugin" / "translations"), [language])
    labels = {panel.gettext(LABELS[key]) for key in guide.panel_label_keys_shown() if key in LABELS}
    path = ROOT / "rewards_api" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as f:
        pages = {m.string for m in pofile.read_po(f) if m.id and isinstance(m.string, str)}
    return labels | pages


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_labels_a_translation_quotes_are_on_the_screens_in_that_language(language: str) -> None:
    quoted = guide.quoted_labels(guide.translations(language))
    assert quoted, f"{language}: the translations quote no label"
    missing = {label: sorted(pages) for label, pages in quoted.items()
               if label not in _screens(language)}
    assert not missing, f"{language}: quoted but not on a screen in {language}: {missing}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_codes_a_translation_names_exist_and_stay_in_english(language: str) -> None:
    known = set(REGISTRY) | guide.register_codes()
    texts = guide.translations(language)
    unknown = {code: pages for code, pages in guide.code_like_mentions(texts).items()
               if code not in known}
    assert not unknown, f"{language}: names codes that do not exist: {unknown}"
    for name, text in texts.items():
        english = set(guide.code_like_mentions({name: guide.pages()[name]}))
        assert english <= set(guide.code_like_mentions({name: text})), (language, name)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_keep_the_sections_and_links_of_the_english_page(language: str) -> None:
    for name, text in guide.translations(language).items():
        english = guide.pages()[name]
        count = re.compile(r"^#{1,3} ", re.MULTILINE)
        assert len(count.findall(text)) == len(count.findall(english)), (language, name)
        links = re.compile(r"\]\(([^)]+)\)")
        assert links.findall(text) == links.findall(english), (language, name)


HEADING_ID = re.compile(r'<h[2-6][^>]*\bid="([^"]+)"')


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_keep_the_english_anchors(site: Path, language: str) -> None:
    """A translated heading changes its generated anchor, so a translation gives each
    section heading the English page's anchor (``## Rückgaben { #returns }``): links
    such as register.md#returns then land in every language. (The page title keeps its
    own: the title is not linked to, and an attribute there would show in the title.)"""
    for name in guide.translations(language):
        html = name.replace(".md", ".html")
        english = HEADING_ID.findall((site / html).read_text())
        translated = HEADING_ID.findall((site / language / html).read_text())
        assert translated == english, (language, name)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translated_sentences_stay_short(language: str) -> None:
    for name, text in guide.translations(language).items():
        long = [s for s in sentences(text) if len(s.split()) > LONGEST_SENTENCE]
        assert not long, f"{language} {name}: split these sentences: {long}"


def _quiz(text: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_every_quiz_asks_as_much_in_every_language(language: str) -> None:
    english = list(_quiz(guide.pages()["quiz.md"]).values())
    translated = _quiz(guide.translations(language)["quiz.md"])
    assert len(translated) == len(english)
    for (role, body), source in zip(translated.items(), english, strict=True):
        questions = QUESTION.findall(body)
        assert len(questions) == len(QUESTION.findall(source)), (language, role)
        for question, answer in questions:
            assert question.endswith("?"), question
            cited = LINK.findall(answer)
            assert cited and "quiz.md" not in cited, f"{language} {role}: {question!r}"


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize("language", TRANSLATIONS)
def test_the_translated_register_card_prints_on_one_page(site: Path, browser: Browser,
                                                          language: str, paper: str) -> None:
    page = browser.new_page()
    page.goto((site / language / "card.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator(".quick-card").is_visible()
    assert not page.locator(".navbar").is_visible()
    assert pdf_pages(page.pdf(format=paper)) == 1
    page.close()

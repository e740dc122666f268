"""The catalogs are complete: every English text of the API and of the register's panel
has a German and a Portuguese translation with the same placeholders, and the compiled
.mo files (committed, so a fresh clone runs without ``make i18n``) match the .po files.

A failure names each text that is missing: run ``make i18n`` (it extracts the texts and
merges them into the catalogs), translate the empty ``msgstr`` entries, run it again.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from babel.messages import mofile, pofile
from babel.messages.catalog import Catalog

from pos_plugin.errors import LOCAL_ERRORS
from pos_plugin.labels import LABELS
from rewards_api.errors import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rewards_api", "pos_plugin")
LANGUAGES = ("de", "pt")
# %(name)s placeholders, and {...} (JSON examples and brace fields): both kept as written.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{[^{}]*\}")


def _read_po(package: str, language: str) -> Catalog:
    with open(ROOT / package / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return pofile.read_po(f, locale=language)


@functools.cache
def _extracted(package: str) -> frozenset[str]:
    """The texts the code holds now: ``make i18n``'s extraction, into a scratch file."""
    pot = Path(tempfile.mkdtemp()) / f"{package}.pot"
    keywords = re.search(r"^I18N_KEYWORDS := (.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert keywords is not None
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F",
                    "babel.cfg", *keywords.group(1).split(), "--no-location", "-o", str(pot),
                    package], cwd=ROOT, check=True)
    with open(pot, "rb") as f:
        texts = frozenset(m.id for m in pofile.read_po(f) if m.id)
    shutil.rmtree(pot.parent)
    return texts


@pytest.mark.parametrize("package", PACKAGES)
def test_every_text_of_the_code_is_in_the_catalogs(package: str) -> None:
    texts = _extracted(package)
    for language in LANGUAGES:
        catalog = {m.id for m in _read_po(package, language) if m.id}
        missing = sorted(texts - catalog)
        assert not missing, (f"{package} {language}: not in the catalog yet (run make i18n, "
                             f"then translate): {missing}")


def test_every_error_sentence_is_extracted() -> None:
    texts = _extracted("rewards_api") | _extracted("pos_plugin")
    sentences = {e.message for e in REGISTRY.values()} | set(LOCAL_ERRORS.values())
    sentences |= set(LABELS.values())
    assert not sentences - texts


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("package", PACKAGES)
def test_every_message_is_translated_with_the_same_placeholders(package: str, language: str) -> None:
    untranslated, fuzzy, placeholders = [], [], []
    for message in _read_po(package, language):
        if not message.id:
            continue
        if not message.string:
            untranslated.append(message.id)
        elif message.fuzzy:
            fuzzy.append(message.id)
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            placeholders.append((message.id, message.string))
    assert not untranslated, f"{package} {language}: translate {untranslated}"
    assert not fuzzy, f"{package} {language}: check and clear the fuzzy flag of {fuzzy}"
    assert not placeholders, f"{package} {language}: placeholders differ: {placeholders}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("package", PACKAGES)
def test_compiled_catalogs_match_their_sources(package: str, language: str) -> None:
    source = {m.id: m.string for m in _read_po(package, language) if m.id and m.string}
    path = ROOT / package / "translations" / language / "LC_MESSAGES" / "messages.mo"
    with open(path, "rb") as f:
        compiled = {m.id: m.string for m in mofile.read_mo(f) if m.id}
    assert compiled == source, f"{path} is out of date: run make i18n"

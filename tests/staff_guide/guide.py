"""Reading the staff guide's Markdown the way its tests need it.

The guide keeps a few stable markups so that tests can hold it to the product:
- a troubleshooting entry is a level-3 heading that is exactly one code: ``### `code` ``;
- a label of the cashier panel is quoted in guillemets: «Confirm»;
- a command a reader should run sits alone on a line of a ```` ```sh ```` block;
- a screenshot is a Markdown image ``![...](img/NAME.png)``.
"""

from __future__ import annotations

import configparser
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "staff_guide"
DOCS = GUIDE / "docs"
CONFIG = GUIDE / "mkdocs.yml"

ENTRY = re.compile(r"^### `([^`]+)`\s*$", re.MULTILINE)
LABEL = re.compile(r"«([^»]+)»")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
# An error code is snake_case with at least one underscore (``forbidden`` is checked by
# its troubleshooting entry instead, since plain words in backticks are common).
CODE_LIKE = re.compile(r"^[a-z]+(?:_[a-z]+)+$")
FENCE = re.compile(r"^```(\w*)\s*$")


# The guide's languages (staff_guide/mkdocs.yml, mkdocs-static-i18n): English is the
# source (page.md), a translation sits beside it (page.de.md).
ENGLISH = "en"
LANGUAGES = (ENGLISH, "de", "pt")
TRANSLATED = re.compile(r"\.(de|pt)\.md$")


def pages() -> dict[str, str]:
    """Every page of the guide in English: file name (relative to docs/) -> Markdown."""
    return {str(p.relative_to(DOCS)): p.read_text() for p in sorted(DOCS.rglob("*.md"))
            if not TRANSLATED.search(p.name)}


def translations(language: str) -> dict[str, str]:
    """The pages translated into ``language``: the English page's name -> Markdown."""
    return {name: (DOCS / name).with_suffix(f".{language}.md").read_text()
            for name in pages() if (DOCS / name).with_suffix(f".{language}.md").is_file()}


def page_path(name: str, language: str = ENGLISH) -> Path:
    """The file of page ``name`` (e.g. troubleshooting.md) in ``language``."""
    return DOCS / name if language == ENGLISH else (DOCS / name).with_suffix(f".{language}.md")


def troubleshooting_entries(language: str = ENGLISH) -> list[str]:
    return ENTRY.findall(page_path("troubleshooting.md", language).read_text())


def entry_bodies(language: str = ENGLISH) -> dict[str, str]:
    """Each troubleshooting entry's text (in ``language``), up to the next heading."""
    text = page_path("troubleshooting.md", language).read_text()
    bodies = {}
    for match in ENTRY.finditer(text):
        rest = text[match.end():]
        end = re.search(r"^#{1,3} ", rest, re.MULTILINE)
        bodies[match.group(1)] = rest[: end.start() if end else len(rest)]
    return bodies


def _without_fences(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)


def quoted_labels(texts: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Panel labels the guide (or ``texts``, pages by name) quotes in «…»: label -> pages."""
    found: dict[str, set[str]] = {}
    for name, text in (pages() if texts is None else texts).items():
        for label in LABEL.findall(text):
            found.setdefault(label, set()).add(name)
    return found


def code_like_mentions(texts: dict[str, str] | None = None) -> dict[str, set[str]]:
    """snake_case words in inline code anywhere in the guide: word -> pages."""
    return {span: names for span, names in inline_codes(texts).items() if CODE_LIKE.match(span)}


def images() -> dict[str, set[str]]:
    """Images the guide shows, as paths relative to docs/: path -> pages."""
    found: dict[str, set[str]] = {}
    for name, text in pages().items():
        for target in IMAGE.findall(text):
            path = (DOCS / name).parent / target
            found.setdefault(str(path.resolve().relative_to(DOCS)), set()).add(name)
    return found


@dataclass(frozen=True)
class Command:
    page: str
    line: str

    @property
    def argv(self) -> list[str]:
        words = shlex.split(self.line)
        return words[1:] if words[:1] == ["sudo"] else words

    @property
    def path(self) -> list[str]:
        """The program and its subcommands: the words before the first option."""
        words = []
        for word in self.argv:
            if word.startswith("-"):
                break
            words.append(word)
        return words

    @property
    def options(self) -> list[str]:
        return [w.split("=", 1)[0] for w in self.argv if w.startswith("--")]


def sh_blocks() -> list[tuple[str, list[str]]]:
    """Lines of every ```sh block: (page, lines)."""
    blocks = []
    for name, text in pages().items():
        language: str | None = None  # None: outside a fenced block
        lines: list[str] = []
        for raw in text.splitlines():
            fence = FENCE.match(raw.strip())
            if fence and language is None:
                language, lines = fence.group(1), []
            elif fence:
                if language == "sh":
                    blocks.append((name, lines))
                language = None
            elif language is not None:
                lines.append(raw.strip())
    return blocks


def commands() -> list[Command]:
    """Every command line in a ```sh block (comments and blank lines left out)."""
    return [Command(page, line) for page, lines in sh_blocks() for line in lines
            if line and not line.startswith("#")]


def console_scripts() -> set[str]:
    """The project's own commands, from setup.cfg."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    entries = parser["options.entry_points"]["console_scripts"]
    return {line.split("=")[0].strip() for line in entries.splitlines() if line.strip()}


PANEL_JS = ROOT / "pos_plugin" / "static" / "panel.js"
PANEL_HTML = ROOT / "pos_plugin" / "templates" / "panel.html"


def register_codes() -> set[str]:
    """Codes the cashier panel shows on its own (not from the API's registry): the
    plugin's local errors and those the page's script makes up itself."""
    from pos_plugin.errors import LOCAL_ERRORS

    return set(LOCAL_ERRORS) | set(re.findall(r'code:\s*"([a-z_]+)"', PANEL_JS.read_text()))


def panel_label_keys_shown() -> set[str]:
    """Keys of ``pos_plugin.labels.LABELS`` that the panel page puts on screen: used as
    ``labels.KEY`` in its template or ``L.KEY`` in its script."""
    used = set(re.findall(r"\blabels\.(\w+)", PANEL_HTML.read_text()))
    return used | set(re.findall(r"\bL\.(\w+)", PANEL_JS.read_text()))


def inline_codes(texts: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Every inline code span in the guide (or in ``texts``): text -> pages."""
    found: dict[str, set[str]] = {}
    for name, text in (pages() if texts is None else texts).items():
        for span in INLINE_CODE.findall(_without_fences(text)):
            found.setdefault(span, set()).add(name)
    return found


PAGES = ROOT / "rewards_api" / "pages"


def web_page_text() -> str:
    """Everything the API's own pages can put on screen (shopper app, dashboard, staff
    help page): their templates and scripts, whitespace collapsed."""
    files = [*(PAGES / "templates").rglob("*.html"), *(PAGES / "static").glob("*.js")]
    return " ".join(" ".join(f.read_text().split()) for f in sorted(files))

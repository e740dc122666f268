"""The quizzes: one per role, each answer pointing at the part of the guide that holds it."""

from __future__ import annotations

import re

from tests.staff_guide.guide import DOCS

ROLES = ["Quiz for everyone", "Quiz for the floor", "Quiz for cashiers", "Quiz for managers"]
QUESTION = re.compile(r"^\d+\. \*\*(.+?)\*\*\n((?:   .*\n?)+)", re.MULTILINE)
LINK = re.compile(r"\]\(([a-z-]+\.md)#[a-z0-9_-]+\)")


def sections() -> dict[str, str]:
    text = (DOCS / "quiz.md").read_text()
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_a_quiz_for_every_role() -> None:
    assert list(sections()) == ROLES


def test_every_question_has_an_answer_that_points_into_the_guide() -> None:
    for role, body in sections().items():
        questions = QUESTION.findall(body)
        assert len(questions) >= 4, role
        assert len(questions) == len(re.findall(r"^\d+\. ", body, re.MULTILINE)), role
        for question, answer in questions:
            assert question.endswith("?"), question
            pages = LINK.findall(answer)
            # The link's anchor is checked by the strict build; here: it leaves the quiz.
            assert pages and "quiz.md" not in pages, f"{role}: {question!r} cites no section"
            assert len(re.sub(r"\(.*?\)", "", answer).split()) >= 2, question

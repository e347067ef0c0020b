"""The documentation is written for a reader of this repository: it names nothing
they never saw, such as the task's brief, an issue tracker's numbers, or the
rounds of work ("turn 2") that produced the code. Say what the code does and why,
and name a commit where history matters."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "node_modules", "target", ".git", ".data", "staticfiles", ".pytest_cache"}
UNSEEN = [
    (re.compile(r"\bthe brief\b|\bbrief's\b", re.I), "the brief"),
    (re.compile(r"\bissues?\s+#?\d+", re.I), "an issue number"),
    (re.compile(r"\b(?:turn|stop|round)\s+\d+\b(?!\s*(?:ms|s|seconds|minutes|%))", re.I), "a round of work"),
]


def documents():
    found = []
    for path in sorted(ROOT.rglob("*.md")):
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
            found.append(path)
    return found


def unseen_mentions(text):
    """[(line number, what, line)] for every mention a reader cannot follow."""
    hits = []
    for number, line in enumerate(text.splitlines(), 1):
        for pattern, what in UNSEEN:
            if pattern.search(line):
                hits.append((number, what, line.strip()))
    return hits


def test_the_documents_are_found():
    names = {str(path.relative_to(ROOT)) for path in documents()}
    assert {"README.md", "CHANGELOG.md", "docs/api.md", "docs/operations.md", "bench/README.md"} <= names, names


@pytest.mark.parametrize("path", documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_document_mentions_what_its_reader_never_saw(path):
    assert unseen_mentions(path.read_text()) == []


def test_the_check_finds_each_kind_of_mention():
    text = (
        "Choices made where the brief was silent.\n"
        "The brief's `{eventId, qty}`.\n"
        "Before issue 11 it was 17; see Issue #14.\n"
        "Decided in turn 2.\n"
        "Retried for 3 days; 2 rounds of 400 ms each; a brief outage.\n"
    )
    assert [(number, what) for number, what, _ in unseen_mentions(text)] == [
        (1, "the brief"), (2, "the brief"), (3, "an issue number"), (4, "a round of work"),
    ]

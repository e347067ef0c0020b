"""Every relative link of the documentation resolves: the file it names exists in
the repository, and its #anchor names a heading of the page it points to."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def prose(text):
    """The text outside fenced blocks and inline code, where links are links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def anchors(text):
    """GitHub's heading ids: lowercased, punctuation dropped, spaces to dashes, repeats numbered."""
    seen = {}
    result = set()
    for heading in HEADING.findall(FENCE.sub("", text)):
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a linked heading keeps its text
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def broken_links(page, root=ROOT):
    """(link, why) for each relative link of `page` that does not resolve."""
    problems = []
    for target in LINK.findall(prose(page.read_text())):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # http:, https:, mailto:: not ours to check here
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if root not in dest.parents and dest != root:
            problems.append((target, "points outside the repository"))
        elif not dest.exists():
            problems.append((target, "no such file"))
        elif anchor:
            if dest.suffix != ".md" or dest.is_dir():
                problems.append((target, "an anchor into a file that is not a markdown page"))
            elif anchor not in anchors(dest.read_text()):
                problems.append((target, f"no heading #{anchor} in {dest.relative_to(root)}"))
    return problems


def test_the_documentation_pages_exist():
    names = {str(page.relative_to(ROOT)) for page in PAGES}
    assert {"README.md", "docs/api.md", "docs/operations.md", "docs/architecture.md", "docs/testing.md", "docs/staff.md", "bench/README.md"} <= names
    assert all(page.exists() for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page):
    assert broken_links(page) == []


def test_the_readme_links_to_every_reader_document():
    readme_targets = {target.partition("#")[0] for target in LINK.findall(prose((ROOT / "README.md").read_text()))}
    for page in PAGES[1:]:
        assert str(page.relative_to(ROOT)) in readme_targets, f"README.md does not link to {page.relative_to(ROOT)}"


def test_the_checker_finds_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## Real `heading`: here\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/other.md#real-heading-here) [self](#top) [gone](docs/missing.md)\n"
        "[bad anchor](docs/other.md#nope) [web](https://example.com/#x) `[code](nowhere.md)`\n"
        "```\n[fenced](nowhere.md)\n```\n# Top\n"
    )
    assert broken_links(page, root=tmp_path.resolve()) == [
        ("docs/missing.md", "no such file"),
        ("docs/other.md#nope", "no heading #nope in docs/other.md"),
    ]

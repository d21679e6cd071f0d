"""Every citation of the clinical references names a file of docs/clinical/ and a section in it.

The code cites its clinical facts as `docs/clinical/reference.md §1.6`; a clone has those files
(copied from the project's shared references), so a reader can follow every citation.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"docs/clinical/([\w.-]+\.md)(?: §(\d+(?:\.\d+)*))?")
HEADING = re.compile(r"^#+ (\d+(?:\.\d+)*)[. ]", re.MULTILINE)
SCANNED = ("ketamine_clinic", "tests", "scripts", "bench", "docs")
SUFFIXES = {".py", ".html", ".md", ".txt", ".json"}


def citations(root: Path = REPO) -> list[tuple[Path, str, str | None]]:
    """Return (file, cited file name, cited section or None) for every citation under `root`."""
    found = []
    paths = [root / "README.md"]
    for folder in SCANNED:
        paths += [p for p in (root / folder).rglob("*") if p.suffix in SUFFIXES]
    for path in paths:
        if not path.is_file():
            continue
        for match in CITATION.finditer(path.read_text(encoding="utf-8")):
            found.append((path, match.group(1), match.group(2)))
    return found


def sections(reference: Path) -> set[str]:
    """Return the numbers of a reference's headings ("1", "1.6", "3.3", …)."""
    return set(HEADING.findall(reference.read_text(encoding="utf-8")))


def wrong_citations(root: Path = REPO) -> list[str]:
    """Return each citation of a reference, or of a section, that does not exist."""
    wrong = []
    for path, name, section in citations(root):
        reference = root / "docs" / "clinical" / name
        if not reference.is_file():
            wrong.append(f"{path.relative_to(root)}: no docs/clinical/{name}")
        elif section is not None and section not in sections(reference):
            wrong.append(f"{path.relative_to(root)}: docs/clinical/{name} has no §{section}")
    return wrong


def test_every_citation_names_a_reference_that_exists_and_one_of_its_sections() -> None:
    assert len(citations()) > 100  # the clinical core cites them throughout
    assert wrong_citations() == []


def test_the_references_are_the_ones_the_code_cites() -> None:
    assert {"reference.md", "pharmacokinetics.md", "README.md"} <= {
        p.name for p in (REPO / "docs" / "clinical").iterdir()
    }
    assert {"1.2", "1.6", "3.1", "3.3", "5"} <= sections(REPO / "docs/clinical/reference.md")


def test_a_citation_of_a_missing_file_or_section_is_caught(tmp_path: Path) -> None:
    (tmp_path / "docs" / "clinical").mkdir(parents=True)
    (tmp_path / "docs" / "clinical" / "reference.md").write_text("# Facts\n### 1.6 BP\n")
    cite = "docs/clinical/"  # spelt apart, so that this file holds no wrong citation itself
    (tmp_path / "README.md").write_text(
        f"See {cite}reference.md §1.6, {cite}reference.md §9.9 and {cite}gone.md §1.\n"
    )
    assert wrong_citations(tmp_path) == [
        f"README.md: {cite}reference.md has no §9.9",
        f"README.md: no {cite}gone.md",
    ]

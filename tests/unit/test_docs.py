"""Code the docs show as an example is the example file the test suite runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!-- example: (?P<path>[\w/.]+) -->\n```\w+\n(?P<code>.*?)```", re.S)


def _examples() -> list[tuple[str, str, str]]:
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for match in MARKER.finditer(doc.read_text()):
            found.append((doc.name, match["path"], match["code"]))
    return found


def test_the_docs_show_examples():
    assert len(_examples()) >= 2


@pytest.mark.parametrize(("doc", "path", "code"), _examples(), ids=lambda v: str(v)[:40])
def test_example_in_docs_is_the_tested_file(doc, path, code):
    assert code == (ROOT / path).read_text(), f"{doc} shows an outdated copy of {path}"

"""The docs keep up with the code: docs/settings.md lists every setting, the README's quick start
is two commands, and every local link in the README and docs/ points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SETTINGS_DOC = ROOT / "docs" / "settings.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


def test_settings_table_matches_the_declared_settings() -> None:
    text = SETTINGS_DOC.read_text()
    table = text[text.index("<!-- settings-table -->") : text.index("<!-- /settings-table -->")]
    rows = re.findall(r"^\| (\w+) \| `(EVKG_\w+)` \| `([^`]*)` \| (.+?) \|$", table, re.M)
    documented = {name: (env, default, help_) for name, env, default, help_ in rows}
    declared = {s.name: (s.env, str(s.default), s.help) for s in SETTINGS}
    assert documented == declared


def test_quick_start_is_two_make_commands() -> None:
    text = README.read_text()
    block = text[text.index("## Quick start") :].split("```")[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_local_links_resolve(page: Path) -> None:
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text())
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"

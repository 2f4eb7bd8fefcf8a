"""The README keeps up with the code: its settings table lists every setting."""

from __future__ import annotations

import re
from pathlib import Path

from kg.settings import SETTINGS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_settings_table_matches_the_declared_settings() -> None:
    text = README.read_text()
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

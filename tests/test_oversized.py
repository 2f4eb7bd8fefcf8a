"""A text field over the per-field limit is refused with its file and line, before any parser or
validator reads the file whole (a 50 MB note used to stall the build)."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from kg.sources.records import MAX_LITERAL_CHARS

ROOT = Path(__file__).resolve().parents[1]


def with_long_note(folder: Path, size: int) -> int:
    """Copy a seed source into `folder` with a note of `size` characters on its first claim; its line."""
    (folder / "texts").mkdir(parents=True)
    shutil.copy(ROOT / "sources/texts/livestrong-back-spasm.txt", folder / "texts")
    lines = (ROOT / "sources/livestrong-back-spasm.yaml").read_text().splitlines()
    claims = lines.index("claims:")
    first = next(i for i in range(claims, len(lines)) if lines[i].lstrip().startswith("- id:"))
    indent = " " * (lines[first].index("-") + 2)
    lines.insert(first + 1, f"{indent}note: {'x' * size}")
    (folder / "livestrong-back-spasm.yaml").write_text("\n".join(lines) + "\n")
    return first + 2


def test_a_note_over_the_limit_is_refused_with_file_and_line(tmp_path: Path) -> None:
    line = with_long_note(tmp_path / "sources", 5_000_000)
    result = CliRunner().invoke(main, ["check", "--sources", str(tmp_path / "sources")])
    assert result.exit_code == 2
    assert f"livestrong-back-spasm.yaml:{line}: a text of 5,000,000 characters" in result.output
    assert f"at most {MAX_LITERAL_CHARS:,} characters" in result.output


def test_a_note_at_the_limit_is_accepted(tmp_path: Path) -> None:
    with_long_note(tmp_path / "sources", MAX_LITERAL_CHARS)
    result = CliRunner().invoke(main, ["check", "--sources", str(tmp_path / "sources")])
    assert result.exit_code == 0, result.output

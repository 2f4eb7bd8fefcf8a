"""The settings: the table (SETTINGS) and the typed object (Settings) are one declaration, loaded from
defaults, EVKG_* variables and overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_type_hints

import pytest

from kg.settings import SETTINGS, Setting, Settings, load_settings


def test_the_table_and_the_type_agree() -> None:
    hints = get_type_hints(Settings)
    assert [s.name for s in SETTINGS] == [f.name for f in dataclasses.fields(Settings)] == list(hints)
    for row in SETTINGS:
        assert type(row.default) is hints[row.name], f"{row.name}: default {row.default!r} is not {hints[row.name]}"
        assert row.help.strip() and row.env == "EVKG_" + row.name.upper()
    assert Settings() == load_settings(environ={})


RAW = {bool: ("false", False), int: ("7", 7), float: ("2.5", 2.5), str: ("x", "x")}
"""Per type: an environment string and the value it reads as."""


@pytest.mark.parametrize("row", SETTINGS, ids=lambda row: row.name)
def test_every_setting_reads_its_environment_variable_in_its_type(row: Setting) -> None:
    raw, expected = RAW[type(row.default)]
    value = getattr(load_settings(environ={row.env: raw}), row.name)
    assert type(value) is type(row.default) and value == expected


def test_overrides_come_last_in_their_type_and_unknown_names_raise() -> None:
    environ = {"EVKG_WORKERS": "5", "EVKG_QUERY_TIMEOUT": "3"}
    settings = load_settings({"workers": "3", "sources": Path("elsewhere"), "threads": None}, environ=environ)
    assert (settings.workers, settings.sources, settings.threads, settings.query_timeout) == (
        3,
        "elsewhere",
        Settings().threads,
        3.0,
    )
    assert dataclasses.replace(settings, store="http://example.org/sparql").store == "http://example.org/sparql"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.workers = 1  # type: ignore[misc]
    with pytest.raises(KeyError, match="unknown setting 'no_such'"):
        load_settings({"no_such": 1}, environ={})


def test_secrets_stay_out_of_the_repr() -> None:
    settings = load_settings({"store_password": "hunter2", "update_token": "t0ken"}, environ={})
    assert "hunter2" not in repr(settings) and "t0ken" not in repr(settings)

"""A private Virtuoso for the remote-store tests: re-exported from `kg.virtuoso`, where the launcher
lives so that the benchmark (`evkg bench --peers`) can start one too."""

from __future__ import annotations

from kg.virtuoso import (
    PASSWORD,
    START_SECONDS,
    SYSTEM_INI,
    VirtuosoServer,
    bulk_load,
    ensure_installed,
    isql,
    start,
    version,
    wait_ready,
    write_ini,
)

__all__ = [
    "PASSWORD",
    "START_SECONDS",
    "SYSTEM_INI",
    "VirtuosoServer",
    "bulk_load",
    "ensure_installed",
    "isql",
    "start",
    "version",
    "wait_ready",
    "write_ini",
]

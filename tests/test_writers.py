"""One writer at a time per store, and a reviews file that is never torn: a second writer waits and
then exits 2 naming the holder; a killed writer's lock is released by the OS; a review killed midway
leaves the whole old or whole new file; two reviews at once both land."""

from __future__ import annotations

import datetime as dt
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import HOLD_LOCK, REVIEW_LOOP, review, wait_until

from kg.bench import update_load
from kg.cli import main
from kg.errors import SourceError
from kg.sources.reviews import add_review, load_reviews, load_reviews_list
from kg.store.oxigraph import OxigraphStore, write_generation
from service.app import create_app
from service.pool import QueryPool
from service.worker import Job

ROOT = Path(__file__).resolve().parents[1]
HEADER = "# decisions, kept in git\nversion: 1 # the format\nreviews:\n"


def hold_lock(store: Path) -> subprocess.Popen[str]:
    """A process holding the store's writer lock until its stdin closes (started when it says so)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_writer_waits_then_exits_2_naming_the_holder(writable_store: Path) -> None:
    before = OxigraphStore.open(writable_store, read_only=True).count()
    holder = hold_lock(writable_store)
    try:
        result = CliRunner().invoke(main, ["build", "--store", str(writable_store)], env={"EVKG_WRITER_TIMEOUT": "0.3"})
    finally:
        holder.communicate("")
    assert result.exit_code == 2, result.output
    assert f"another writer (pid {holder.pid}, `evkg build`, since " in result.output
    assert "Traceback" not in result.output
    assert OxigraphStore.open(writable_store, read_only=True).count() == before


def test_a_killed_writers_lock_is_released_by_the_os(writable_store: Path) -> None:
    holder = hold_lock(writable_store)
    holder.kill()
    holder.wait()
    result = CliRunner().invoke(main, ["reason", "--store", str(writable_store)], env={"EVKG_WRITER_TIMEOUT": "5"})
    assert result.exit_code in (0, 1), result.output


def test_an_unwritable_store_is_an_error_naming_it(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    result = CliRunner().invoke(main, ["build", "--store", str(blocked / "store")])
    assert result.exit_code == 2
    assert f"cannot write the store at {blocked / 'store'}" in result.output
    assert "Traceback" not in result.output


def test_a_review_keeps_the_files_text_and_quotes_its_id(tmp_path: Path) -> None:
    path = tmp_path / "conflicts.yaml"
    path.write_text(
        HEADER + '  - conflict: "00000000000000aa"\n    status: confirmed\n    reviewer: A\n'
        "    at: 2026-01-01T00:00:00Z\n    rationale: checked\n"
    )
    original = path.read_text()
    add_review(path, review("1e50000000000000"))
    text = path.read_text()
    assert text.startswith(original)
    assert '  - conflict: "1e50000000000000"\n' in text
    assert list(load_reviews(path)) == ["00000000000000aa", "1e50000000000000"]


def test_an_empty_reviews_list_gets_its_first_review(tmp_path: Path) -> None:
    path = tmp_path / "conflicts.yaml"
    path.write_text("# comment\nversion: 1\nreviews: []\n")
    add_review(path, review("00000000000000ab"))
    assert path.read_text().startswith("# comment\nversion: 1\nreviews:\n  - conflict:")
    assert [r.conflict for r in load_reviews_list(path)] == ["00000000000000ab"]


def test_a_hand_written_unquoted_id_is_kept_as_written(tmp_path: Path) -> None:
    """A YAML 1.2 round trip read this id as a float and wrote it back as `.inf`."""
    path = tmp_path / "conflicts.yaml"
    hand_written = "  - conflict: 1e50000000000000\n    status: confirmed\n    reviewer: A\n"
    path.write_text(HEADER + hand_written + "    at: 2026-01-01T00:00:00Z\n    rationale: checked\n")
    add_review(path, review("00000000000000ab"))
    assert hand_written in path.read_text()
    assert list(load_reviews(path)) == ["1e50000000000000", "00000000000000ab"]


def test_a_malformed_reviews_file_is_reported_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "conflicts.yaml"
    path.write_text(HEADER + "  - conflict: 1234567890123456\n    status: confirmed\n")
    original = path.read_text()
    with pytest.raises(SourceError, match=r"conflicts.yaml:4"):
        add_review(path, review("00000000000000ab"))
    assert path.read_text() == original


@pytest.mark.parametrize("kill_after", [1, 4, 9, 16, 25])
def test_a_review_killed_midway_leaves_a_whole_file(tmp_path: Path, kill_after: int) -> None:
    path = tmp_path / "conflicts.yaml"
    path.write_text(HEADER.replace("reviews:\n", "reviews: []\n"))
    writer = subprocess.Popen([sys.executable, "-c", REVIEW_LOOP, str(path), "0", "100000"])
    try:
        wait_until(lambda: len(load_reviews_list(path)) >= kill_after, timeout=60)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    reviews = load_reviews_list(path)  # parses: never empty, never torn
    assert len(reviews) >= kill_after
    assert [r.conflict for r in reviews] == [f"{i:016x}" for i in range(len(reviews))]
    add_review(path, review("00000000000fffff"))  # and the next review cleans what the killed one left
    assert not list(tmp_path.glob(".conflicts.yaml.*.tmp"))


def test_two_reviews_at_once_both_land(tmp_path: Path) -> None:
    path = tmp_path / "conflicts.yaml"
    writers = [
        subprocess.Popen([sys.executable, "-c", REVIEW_LOOP, str(path), str(start), "15"]) for start in (0, 1000)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    found = sorted(r.conflict for r in load_reviews_list(path))
    assert found == sorted([f"{i:016x}" for i in range(15)] + [f"{i:016x}" for i in range(1000, 1015)])
    assert dt.datetime.now(dt.UTC) >= load_reviews_list(path)[-1].at


def test_an_update_while_another_writer_holds_the_store_gets_503_with_retry_after(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_generation(store, lambda _: None)
    config = {"store": str(store), "queries": str(ROOT / "queries"), "update_token": "t", "writer_timeout": 0.2}
    client = create_app(config).test_client()
    holder = hold_lock(store)
    try:
        reply = client.post(
            "/update",
            data="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
            content_type="application/sparql-update",
            headers={"Authorization": "Bearer t"},
        )
    finally:
        holder.communicate("")
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert f"pid {holder.pid}" in reply.get_json()["error"]["detail"]
    reply = client.post(
        "/update",
        data="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        content_type="application/sparql-update",
        headers={"Authorization": "Bearer t"},
    )
    assert reply.status_code in (200, 204)


def test_a_generation_stays_until_its_last_reader_closes_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_generation(store, lambda s: s.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }"))
    reader = OxigraphStore.open(store, read_only=True)
    old = reader.generation
    write_generation(store, lambda _: None)
    assert old is not None and old.exists(), "a generation a reader holds outlives the swap"
    assert reader.count() == 1, "and still reads"
    reader.close()
    assert not old.exists(), "its last reader deletes it"


def test_an_idle_query_worker_lets_go_of_a_superseded_generation(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_generation(store, lambda _: None)
    old = (store / "current").resolve()
    pool = QueryPool(store, 1, 30)
    try:
        pool.run(Job("ASK {}", None, None, "json", "turtle", 1000))
        write_generation(store, lambda _: None)
        assert old.exists(), "the worker still holds it"
        wait_until(lambda: not old.exists(), timeout=30)
    finally:
        pool.close()


def test_readers_and_writers_on_update_lose_nothing(tmp_path: Path) -> None:
    tally = update_load.run(tmp_path, seconds=4, writers=3, readers=3)
    assert tally.reads > 0 and tally.writes > 0
    assert (tally.read_errors, tally.lost_writes) == (0, 0), tally.errors


def test_an_export_that_cannot_be_written_exits_2_and_leaves_no_file(seed_store: Path, tmp_path: Path) -> None:
    """The file size limit makes the write fail as a full disk does: an OSError in the middle of it."""
    output = tmp_path / "dump.nq"
    evkg = str(Path(sys.executable).with_name("evkg"))
    result = subprocess.run(
        [evkg, "export", "--format", "nquads", "-o", str(output), "--store", str(seed_store)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    assert result.returncode == 2, result.stderr
    assert "error: cannot read or write" in result.stderr and "Traceback" not in result.stderr
    assert not output.exists() and not list(tmp_path.glob("dump.nq*"))


def small_files() -> None:
    """In the child: files may not grow past 64 KiB, and a write past that fails instead of killing it."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

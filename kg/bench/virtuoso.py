"""A private Virtuoso on loopback (Debian's virtuoso-opensource), for the remote-store tests and the benchmark.

The server gets its own database in a folder (a copy of the system `virtuoso.ini` pointed at it,
loopback ports only, `ResultSetMaxRows` raised so results are never cut), runs in the foreground
under our control, gets a new DBA password through isql, and is stopped by its PID. Writes use the
authenticated endpoints (`/sparql-auth`, `/sparql-graph-crud-auth`, digest auth as dba), so the
anonymous `/sparql` endpoint stays read-only. `bulk_load` fills it with Virtuoso's bulk loader.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kg.bench.loopback import die_with_parent, free_port

SYSTEM_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
PASSWORD = "evkg-test-dba"
START_SECONDS = 90


@dataclass
class VirtuosoServer:
    """A running private Virtuoso: its endpoints and the settings that point `evkg` at it."""

    http: str
    sql_port: int
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def settings(self) -> dict[str, str]:
        """EVKG_* variables for the remote store (query, update, Graph Store endpoints, credentials)."""
        return {
            "EVKG_STORE": f"{self.http}/sparql",
            "EVKG_STORE_UPDATE": f"{self.http}/sparql-auth",
            "EVKG_STORE_GRAPH_STORE": f"{self.http}/sparql-graph-crud-auth",
            "EVKG_STORE_USER": "dba",
            "EVKG_STORE_PASSWORD": PASSWORD,
        }

    def stop(self) -> None:
        """SIGTERM the server by its PID, then SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def log(self) -> str:
        path = self.folder / "db" / "virtuoso.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def ensure_installed() -> str:
    """The `virtuoso-t` binary; installs Debian's virtuoso-opensource through apt-get when missing."""
    found = shutil.which("virtuoso-t")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "virtuoso-opensource"], check=True, env=env)
    found = shutil.which("virtuoso-t")
    if not found:
        raise RuntimeError("virtuoso-opensource was installed but virtuoso-t is not on PATH")
    return found


def version() -> str:
    """The installed server's version (`7.2.5.3229`), or "" when virtuoso-t is not installed."""
    binary = shutil.which("virtuoso-t")
    if not binary:
        return ""
    done = subprocess.run([binary, "-?"], capture_output=True, text=True, timeout=30, check=False)
    match = re.search(r"Version (\S+)", done.stdout + done.stderr)
    return match.group(1).split("-")[0] if match else "unknown"


def write_ini(folder: Path, sql_port: int, http_port: int, buffers: int | None = None) -> Path:
    """A copy of the system virtuoso.ini with the database in `folder` and loopback-only ports.

    `buffers` sets NumberOfBuffers (8 kB pages; MaxDirtyBuffers three quarters of it); None keeps
    the system file's (Debian: 10,000, about 80 MB, enough for tests).
    """
    config = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",))
    config.optionxform = str  # type: ignore[assignment,method-assign]
    config.read(SYSTEM_INI)
    db = folder / "db"
    db.mkdir(parents=True, exist_ok=True)
    config["Database"].update(
        DatabaseFile=f"{db}/virtuoso.db",
        ErrorLogFile=f"{db}/virtuoso.log",
        LockFile=f"{db}/virtuoso.lck",
        TransactionFile=f"{db}/virtuoso.trx",
        xa_persistent_file=f"{db}/virtuoso.pxa",
    )
    config["TempDatabase"].update(DatabaseFile=f"{db}/virtuoso-temp.db", TransactionFile=f"{db}/virtuoso-temp.trx")
    config["Parameters"].update(ServerPort=f"127.0.0.1:{sql_port}", DirsAllowed=f"., {folder}")
    if buffers:
        config["Parameters"].update(NumberOfBuffers=str(buffers), MaxDirtyBuffers=str(buffers * 3 // 4))
    config["HTTPServer"]["ServerPort"] = f"127.0.0.1:{http_port}"
    config["URIQA"]["DefaultHost"] = f"127.0.0.1:{http_port}"
    config["SPARQL"].update(ResultSetMaxRows="10000000", MaxQueryExecutionTime="0", MaxQueryCostEstimationTime="0")
    path = folder / "virtuoso.ini"
    with path.open("w") as out:
        config.write(out)
    return path


def start(folder: Path, *, buffers: int | None = None) -> VirtuosoServer:
    """Start a private Virtuoso in `folder`, wait until /sparql answers, set the DBA password."""
    binary = ensure_installed()
    sql_port, http_port = free_port(), free_port()
    ini = write_ini(folder, sql_port, http_port, buffers)
    process = subprocess.Popen(
        [binary, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=die_with_parent,  # a killed test run or benchmark does not leave it running
    )
    server = VirtuosoServer(f"http://127.0.0.1:{http_port}", sql_port, folder, process)
    try:
        wait_ready(server)
        isql(server, "dba", f"USER_SET_PASSWORD('dba', '{PASSWORD}');")
    except BaseException:
        server.stop()
        raise
    return server


def wait_ready(server: VirtuosoServer) -> None:
    """Poll /sparql with `ASK {}` until it answers 200; raise with the server's log if it never does."""
    deadline = time.monotonic() + START_SECONDS
    url = f"{server.http}/sparql?query=ASK%7B%7D"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Virtuoso did not answer within {START_SECONDS} s:\n{server.log()}")


def isql(server: VirtuosoServer, password: str, statements: str, timeout: float = 60) -> str:
    """Run SQL through isql-vt as dba (used for set-up only)."""
    command = [shutil.which("isql-vt") or "isql-vt", f"127.0.0.1:{server.sql_port}", "dba", password]
    done = subprocess.run(command, input=statements + "\n", capture_output=True, text=True, timeout=timeout, check=True)
    return done.stdout


def bulk_load(server: VirtuosoServer, folder: Path, pattern: str, graph: str, timeout: float = 3600) -> None:
    """Load the files matching `pattern` in `folder` (under the server's folder) with Virtuoso's bulk loader.

    N-Quads files keep their own graph names; `graph` is where triples without one go. Raises with
    the loader's error when a file failed.
    """
    if not folder.resolve().is_relative_to(server.folder.resolve()):
        raise ValueError(f"{folder} is not under the server's folder (DirsAllowed)")
    isql(
        server,
        PASSWORD,
        f"ld_dir('{folder.resolve()}', '{pattern}', '{graph}');\nrdf_loader_run();\ncheckpoint;",
        timeout=timeout,
    )
    errors = isql(server, PASSWORD, "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
    if re.search(r"^\s*0 Rows\.", errors, re.M) is None:
        raise RuntimeError(f"Virtuoso's bulk loader failed:\n{errors[-3000:]}")

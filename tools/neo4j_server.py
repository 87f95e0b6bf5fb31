"""Fetch, start and stop a real Neo4j 5.26 Community server from Maven Central jars.

No Docker needed: Maven resolves `org.neo4j:neo4j` and its runtime dependencies into a
git-ignored cache, and the server runs on the machine's Java 17 bound to 127.0.0.1 only.

    python -m tools.neo4j_server fetch            # resolve the jars (cached)
    python -m tools.neo4j_server start [--port N]  # a development server in .cache/neo4j/dev
    python -m tools.neo4j_server status
    python -m tools.neo4j_server stop

The test suite uses `Neo4jServer` directly: a throw-away server in a temporary folder that
dies with the process that started it, even when that process is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
POM = ROOT / "tools" / "neo4j" / "pom.xml"
CACHE = Path(os.environ.get("REFERRALS_NEO4J_CACHE", ROOT / ".cache" / "neo4j"))
# One import is one transaction, and Neo4j holds a transaction's changes in the heap: 4 GiB takes an
# import of 100,000 clients with their recommendations (measured: 512 MiB failed at 25,000, 2 GiB at
# 100,000). The heap is reserved, not used, until a transaction needs it; this machine kind has 24 GiB.
DEFAULT_HEAP = "4g"

# The launcher's flags for 5.x: when java is started directly, server.jvm.additional is not applied.
JVM_FLAGS = [
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dlog4j2.disable.jmx=true",
]


def neo4j_version() -> str:
    """The Neo4j version pinned in the pom."""
    match = re.search(r"<neo4j.version>([^<]+)</neo4j.version>", POM.read_text())
    if not match:
        raise RuntimeError(f"no <neo4j.version> in {POM}")
    return match.group(1)


def lib_dir() -> Path:
    """Where the jars of the pinned version live once fetched."""
    return CACHE / neo4j_version() / "lib"


def fetch(quiet: bool = False) -> Path:
    """Resolve the server jars with Maven once; later calls return the cached folder."""
    lib = lib_dir()
    if (lib / ".complete").exists():
        return lib
    mvn = shutil.which("mvn")
    if not mvn:
        raise RuntimeError("Maven (mvn) is needed to fetch Neo4j; install it or set REFERRALS_TEST_NEO4J_URL")
    staging = lib.with_name("lib.partial")
    shutil.rmtree(staging, ignore_errors=True)
    started = time.monotonic()
    if not quiet:
        print(f"fetching Neo4j {neo4j_version()} jars from Maven Central ...", file=sys.stderr)
    subprocess.run(
        [
            mvn,
            "-B",
            "-q",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ],
        check=True,
    )
    (staging / ".complete").write_text(neo4j_version())
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    if not quiet:
        print(f"fetched {len(list(lib.glob('*.jar')))} jars in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return lib


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to send SIGTERM when the parent dies (no orphan JVM)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setpgrp()


class Neo4jServer:
    """One Neo4j server process with its own home folder, listening on 127.0.0.1 only."""

    def __init__(
        self,
        home: Path | None = None,
        port: int | None = None,
        heap: str | None = None,
        tie_to_parent: bool = True,
        transaction_timeout: str = "60s",
        timeout_check: str = "2s",
    ) -> None:
        """`transaction_timeout`: the server's default time limit for a transaction (a client may set its
        own per transaction); `timeout_check`: how often the server looks for transactions past their
        limit (one ends up to this long after its limit)."""
        self._own_home = home is None
        self.home = Path(tempfile.mkdtemp(prefix="referrals-neo4j-")) if home is None else home
        self.port = port or free_port()
        self.heap = heap or os.environ.get("REFERRALS_NEO4J_HEAP", DEFAULT_HEAP)
        self.tie_to_parent = tie_to_parent
        self.transaction_timeout = transaction_timeout
        self.timeout_check = timeout_check
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None

    @property
    def url(self) -> str:
        """The Bolt URL clients use."""
        return f"neo4j://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where the server's console output goes."""
        return self.home / "console.log"

    def write_config(self) -> None:
        """A loopback-only config with a small page cache and auth off (it only listens locally)."""
        conf = self.home / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        data = self.home / "data"
        lines = {
            "server.default_listen_address": "127.0.0.1",
            "server.bolt.listen_address": f"127.0.0.1:{self.port}",
            "server.bolt.advertised_address": f"127.0.0.1:{self.port}",
            "server.http.enabled": "false",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "false",
            "server.memory.pagecache.size": os.environ.get("REFERRALS_NEO4J_PAGECACHE", "128m"),
            "server.directories.data": str(data),
            "server.directories.logs": str(self.home / "logs"),
            "server.directories.run": str(self.home / "run"),
            "server.directories.import": str(self.home / "import"),
            "server.directories.plugins": str(self.home / "plugins"),
            "server.directories.transaction.logs.root": str(data / "transactions"),
            "dbms.usage_report.enabled": "false",
            "db.transaction.timeout": self.transaction_timeout,
            "db.transaction.monitor.check.interval": self.timeout_check,
            "db.tx_log.rotation.retention_policy": "1 files",
            # a stop waits 5 s twice for Bolt connections and threads that a local server never has left
            # at that point (the databases are already checkpointed and closed): 10 s per stop otherwise
            "internal.server.bolt.thread_pool_shutdown_wait_time": "100ms",
            "internal.server.bolt.connection_shutdown_wait_time": "100ms",
        }
        (conf / "neo4j.conf").write_text("".join(f"{k}={v}\n" for k, v in lines.items()))

    def start(self, timeout: float = 120.0) -> Neo4jServer:
        """Start the JVM and wait until Bolt answers a query; raise with the log tail otherwise."""
        lib = fetch()
        java = shutil.which("java")
        if not java:
            raise RuntimeError("Java 17+ is needed to run Neo4j")
        self.write_config()
        started = time.monotonic()
        log = self.log_path.open("ab")
        cmd = [
            java,
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *JVM_FLAGS,
            "-cp",
            f"{lib}/*",
            "org.neo4j.server.CommunityEntryPoint",
            f"--home-dir={self.home}",
            f"--config-dir={self.home / 'conf'}",
            "--console-mode",
        ]
        self.process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if self.tie_to_parent else os.setpgrp,
        )
        log.close()
        (self.home / "server.pid").write_text(str(self.process.pid))
        try:
            self._wait_ready(started + timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _wait_ready(self, deadline: float) -> None:
        import neo4j  # the driver is a project dependency; imported late so `fetch` needs none

        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"Neo4j exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                # bolt:// and a plain session: one attempt per poll, no routing retries.
                bolt = f"bolt://127.0.0.1:{self.port}"
                with (
                    neo4j.GraphDatabase.driver(bolt, auth=None, connection_timeout=2) as driver,
                    driver.session() as session,
                ):
                    session.run("RETURN 1").consume()
                return
            except Exception as e:  # not ready yet: keep polling until the deadline
                last = e
                time.sleep(0.5)
        raise TimeoutError(f"Neo4j did not answer on {self.url} in time ({last}):\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the server printed."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the JVM (SIGTERM, then SIGKILL) and remove a temporary home."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.process = None
        if self._own_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Neo4jServer:
        return self.start() if self.process is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# -- command line (development server) -------------------------------------------------

DEV_HOME = CACHE / "dev"


def _dev_pid() -> int | None:
    try:
        pid = int((DEV_HOME / "server.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    """Entry point: fetch | start | stop | status."""
    parser = argparse.ArgumentParser(prog="python -m tools.neo4j_server", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="resolve the Neo4j jars from Maven Central into the cache")
    start = sub.add_parser("start", help="start a development server that keeps its data in .cache/neo4j/dev")
    start.add_argument("--port", type=int, default=7687)
    sub.add_parser("stop", help="stop the development server")
    sub.add_parser("status", help="say whether the development server runs")
    args = parser.parse_args(argv)

    if args.command == "fetch":
        print(fetch())
        return 0
    if args.command == "status":
        pid = _dev_pid()
        print(f"running (pid {pid}), data in {DEV_HOME}" if pid else "not running")
        return 0 if pid else 1
    if args.command == "stop":
        pid = _dev_pid()
        if pid is None:
            print("not running")
            return 0
        os.kill(pid, signal.SIGTERM)
        for _ in range(120):
            if _dev_pid() is None:
                break
            time.sleep(0.25)
        print("stopped")
        return 0
    if _dev_pid():
        print(f"already running; data in {DEV_HOME}")
        return 0
    DEV_HOME.mkdir(parents=True, exist_ok=True)
    server = Neo4jServer(home=DEV_HOME, port=args.port, tie_to_parent=False).start()
    print(f"Neo4j {neo4j_version()} ready in {server.startup_seconds:.1f}s at {server.url}")
    print(f"use it with: REFERRALS_DATABASE_URL={server.url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

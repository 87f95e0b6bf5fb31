"""Today's whole network as GraphML and GEXF through the API under gunicorn, sent as it is written.

    .venv/bin/python -m bench.network_file --database-url sqlite:///1m.db --workspace ws_… --baseline
    .venv/bin/python -m bench.network_file --clients 100000 --stores sqlite neo4j --baseline

The server is the production one (gunicorn with gunicorn.conf.py, started afresh for each format so its
workers' peak memory belongs to that format's downloads). A client on loopback downloads
`/network/export?format=…` `--runs` times and records, per download: seconds to the response's first
byte, to the first node, to the last byte, the size and a digest (every download of a format must be
the same bytes); then the workers' peak resident memory (VmHWM) against their memory before the first
download, and their peak anonymous memory (their own heap) apart from the file pages SQLite maps (sampled
every 20 ms). One download of each format is read back by a streaming XML parser, its nodes and edges
counted against the store's.

With `--baseline`, the path the stream replaces (the whole snapshot, a networkx graph, the whole file
in memory: `exports.export(analysis.network_graph(store.snapshot(ws)), fmt)`) runs once per format in a
child process, with its seconds and peak memory; its bytes must equal the stream's.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from bench.api_load import ROOT, serve, worker_rss
from bench.forest import generate
from bench.measure import settings, spread
from bench.traversals import load
from graph import open_store
from referrals.access import Role, hash_secret, new_secret
from referrals.store import Store

FORMATS = ("graphml", "gexf")


def _memory(pid: int) -> dict[str, int]:
    """A process's resident memory now (KiB): anonymous (its own heap: arrays, objects, text) and
    file-backed (the pages of the database file SQLite maps, which the kernel may drop at will)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("RssAnon:", "RssFile:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    except FileNotFoundError:
        pass
    return out


class Sampler:
    """The peak anonymous and file-backed memory of some processes, sampled every 20 ms while it runs."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.peak = pids, {pid: {"RssAnon": 0, "RssFile": 0} for pid in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                now = _memory(pid)
                for key in ("RssAnon", "RssFile"):
                    self.peak[pid][key] = max(self.peak[pid][key], now.get(key, 0))
            self._stop.wait(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def anon_kib(self) -> int:
        """The highest anonymous memory any one of the processes reached."""
        return max((p["RssAnon"] for p in self.peak.values()), default=0)

    def file_kib(self) -> int:
        return max((p["RssFile"] for p in self.peak.values()), default=0)


def workers(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def download(port: int, secret: str, fmt: str, into: Path) -> dict[str, Any]:
    """One download, timed as it arrives (64 KiB reads)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    t = time.perf_counter()
    conn.request("GET", f"/api/v1/network/export?format={fmt}", headers={"Authorization": f"Bearer {secret}"})
    resp = conn.getresponse()
    assert resp.status == 200, resp.read(500)
    first_byte = first_node = None
    size, digest, tail = 0, hashlib.sha256(), b""
    with into.open("wb") as out:
        while chunk := resp.read1(65536):
            now = time.perf_counter() - t
            if first_byte is None:
                first_byte = now
            if first_node is None and b"<node " in tail + chunk:
                first_node = now
            tail = chunk[-8:]
            size += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    end = time.perf_counter() - t
    conn.close()
    return {
        "first_byte_s": round(first_byte or end, 3),
        "first_node_s": round(first_node or end, 2),
        "last_byte_s": round(end, 2),
        "bytes": size,
        "sha256": digest.hexdigest(),
        "chunked": resp.getheader("Transfer-Encoding") == "chunked",
    }


def counted(path: Path) -> tuple[int, int]:
    """Nodes and edges of an XML graph file, read as a stream."""
    nodes = edges = 0
    for _, el in ET.iterparse(path, events=("end",)):
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "node":
            nodes += 1
            el.clear()
        elif tag == "edge":
            edges += 1
            el.clear()
    return nodes, edges


BASELINE = """
import hashlib, json, sys, time
from graph import open_store
from referrals import analysis
from referrals.exports import GraphFormat, export
store = open_store(sys.argv[1]); store.init_schema()
t = time.perf_counter()
try:
    body = export(analysis.network_graph(store.snapshot(sys.argv[2])), GraphFormat(sys.argv[3]))
    out = {"seconds": round(time.perf_counter() - t, 1), "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
except Exception as exc:
    out = {"error": f"{type(exc).__name__} after {time.perf_counter() - t:.0f} s: {str(exc)[:200]}"}
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        out["peak_rss_kib"] = int(line.split()[1])
print(json.dumps(out))
"""


def baseline(url: str, ws: str, fmt: str) -> dict[str, Any]:
    child = subprocess.Popen(
        [sys.executable, "-c", BASELINE, url, ws, fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    with Sampler([child.pid]) as sampled:
        stdout, stderr = child.communicate()
    if child.returncode != 0:
        return {"error": stderr[-500:]}
    out: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    out["peak_anon_kib"], out["peak_file_kib"] = sampled.anon_kib(), sampled.file_kib()
    return out


def measure(store: Store, url: str, ws: str, runs: int, with_baseline: bool) -> dict[str, Any]:
    secret = new_secret()
    store.create_token(ws, Role.VIEWER, "bench", hash_secret(secret))
    counts = store.read(lambda u: u.workspaces.counts(ws))
    out: dict[str, Any] = {"settings": settings(store), "counts": counts, "formats": {}}
    folder = Path(tempfile.mkdtemp(prefix="referrals-file-"))
    for fmt in FORMATS:
        log = folder / f"gunicorn-{fmt}.log"
        proc, port = serve(url, ws, 2, log)
        try:
            before = worker_rss(proc.pid)
            pids = workers(proc.pid)
            anon_before = max(_memory(pid).get("RssAnon", 0) for pid in pids)
            downloads = []
            with Sampler(pids) as sampled:
                for k in range(runs):
                    downloads.append(download(port, secret, fmt, folder / f"network-{k}.{fmt}"))
                    print(fmt, downloads[-1], file=sys.stderr, flush=True)
            peaks = [_memory(pid).get("VmHWM", 0) for pid in pids]
        finally:
            proc.terminate()
            proc.wait(30)
        assert len({d["sha256"] for d in downloads}) == 1, "downloads of one format differ"
        nodes, edges = counted(folder / f"network-0.{fmt}")
        fig: dict[str, Any] = {
            key: statistics.median(d[key] for d in downloads) for key in ("first_byte_s", "first_node_s", "last_byte_s")
        }
        fig["last_byte_spread"] = spread([d["last_byte_s"] for d in downloads])
        fig["runs"] = downloads
        fig["bytes"] = downloads[0]["bytes"]
        fig["chunked"] = all(d["chunked"] for d in downloads)
        fig["nodes"], fig["edges"] = nodes, edges
        fig["worker_rss_before_kib"], fig["worker_peak_kib"] = before, peaks
        fig["worker_anon_before_kib"] = anon_before
        fig["worker_peak_anon_kib"], fig["worker_peak_file_kib"] = sampled.anon_kib(), sampled.file_kib()
        if with_baseline:
            base = baseline(url, ws, fmt)
            if "sha256" in base:
                base["same_bytes"] = base["sha256"] == downloads[0]["sha256"]
                base["ratio"] = round(fig["last_byte_s"] / base["seconds"], 3)
            fig["baseline"] = base
            print(fmt, "baseline", base, file=sys.stderr, flush=True)
        out["formats"][fmt] = fig
        for k in range(runs):
            (folder / f"network-{k}.{fmt}").unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a loaded store (with --workspace) instead of loading one")
    parser.add_argument("--workspace")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--stores", nargs="+", default=["sqlite"], choices=["sqlite", "neo4j"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heap", default="6g")
    parser.add_argument("--baseline", action="store_true", help="also the in-memory path, once per format")
    parser.add_argument("--out", type=Path, default=Path("bench/results-network-file.json"))
    args = parser.parse_args(argv)
    results = json.loads(args.out.read_text()) if args.out.exists() else {"runs": []}
    stamp = {"date": time.strftime("%Y-%m-%d %H:%M"), "commit": _commit()}
    if args.database_url:
        store = open_store(args.database_url)
        store.init_schema()
        results["runs"].append({**stamp, **measure(store, args.database_url, args.workspace, args.runs, args.baseline)})
        store.close()
    for kind in [] if args.database_url else args.stores:
        server = None
        if kind == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='referrals-bench-')) / 'bench.db'}"
        else:
            from tools.neo4j_server import Neo4jServer

            os.environ.setdefault("REFERRALS_NEO4J_PAGECACHE", "4g")
            server = Neo4jServer(heap=args.heap).start()
            url = server.url
        store = open_store(url)
        try:
            store.init_schema()
            ws, _, _, load_s = load(store, generate(args.clients), contacts=True)
            figures = measure(store, url, ws, args.runs, args.baseline)
            results["runs"].append({**stamp, "clients": args.clients, "load_s": round(load_s, 1), **figures})
        finally:
            store.close()
            if server is not None:
                server.stop()
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["runs"][-len(args.stores) :], indent=2))
    return 0


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())

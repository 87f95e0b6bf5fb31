"""Memory of one POST /imports: peak resident size of a fresh process that answers one request.

Each case runs in its own Python process (so peaks do not mix): it builds the app on an embedded store,
sends one import request through Flask's test client, and reports its status and the process's peak
RSS minus the RSS it had just before the request. Cases:

* **rows cap**: a CSV of `--body-mib` MiB of short client rows (far more rows than the cap), dry run;
* **at the cap**: a CSV of exactly REFERRALS_MAX_IMPORT_ROWS client rows, dry run.

`--repo DIR` runs the same cases against another checkout (a baseline commit) in the same go.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CASE = r"""
import json, resource, sys, tempfile
from api import create_app
from graph.sqlite import SqliteStore
from referrals.access import Role, hash_secret, new_secret

body = open(sys.argv[1], "rb").read()  # made by the parent: building it here would raise the peak first
store = SqliteStore(tempfile.mkdtemp() + "/bench.db")
store.init_schema()
ws = store.create_workspace("bench").id
secret = new_secret()
store.create_token(ws, Role.EDITOR, "bench", hash_secret(secret))
app = create_app({"STORE": store, "TESTING": True})
client = app.test_client()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
resp = client.post("/api/v1/imports", data=body, headers={"Authorization": "Bearer " + secret,
                   "Content-Type": "application/json"})
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"status": resp.status_code, "body_bytes": len(body), "peak_growth_mib": (after - before) / 1024}))
"""


def make_body(path: Path, rows: int, body_bytes: int) -> None:
    """An import request of `rows` client rows, or of rows up to `body_bytes` of CSV."""
    lines, size = ["name,email,notes"], 0
    for i in range(rows):
        line = f"Client {i},c{i}@example.com,n"
        lines.append(line)
        size += len(line) + 1
        if body_bytes and size >= body_bytes:
            break
    doc = {"files": [{"name": "clients.csv", "content": "\n".join(lines)}], "dry_run": True}
    path.write_bytes(json.dumps(doc).encode())


def run_case(repo: Path, body: Path) -> dict[str, object]:
    """One case in a fresh process of `repo`."""
    out = subprocess.run(
        [sys.executable, "-c", CASE, str(body)],
        cwd=repo,
        env={"PYTHONPATH": str(repo), "REFERRALS_MAX_BODY_BYTES": str(64 * 1024 * 1024)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the cases here and, with --repo, in the baseline checkout too."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--body-mib", type=int, default=9)
    parser.add_argument("--cap", type=int, default=20_000)
    parser.add_argument("--repo", type=Path, help="a baseline checkout to run the same cases in")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    cases = {"rows cap": (10**9, args.body_mib * 1024 * 1024), "at the cap": (args.cap, 0)}
    with tempfile.TemporaryDirectory() as tmp:
        bodies = {name: Path(tmp) / f"{i}.json" for i, name in enumerate(cases)}
        for name, (rows, size) in cases.items():
            make_body(bodies[name], rows, size)
        for label, repo in (("current", here), ("baseline", args.repo)):
            if repo is None:
                continue
            for name in cases:
                print(label, name, run_case(repo, bodies[name]), flush=True)


if __name__ == "__main__":
    main()

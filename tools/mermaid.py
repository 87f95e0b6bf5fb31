"""Install Mermaid's own renderer (`@mermaid-js/mermaid-cli`, pinned in tools/mermaid_cli/package-lock.json)
from npm into a git-ignored cache, pointed at Debian's Chromium (no browser is downloaded); the tests
draw every Mermaid export with it.

    python -m tools.mermaid ensure   # print the path of `mmdc` (npm ci the first time)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools import chromium

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tools" / "mermaid_cli"
CACHE = Path(os.environ.get("REFERRALS_MERMAID_CACHE", ROOT / ".cache" / "mermaid"))


def _lock_version() -> str:
    lock = json.loads((SOURCE / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/@mermaid-js/mermaid-cli"]["version"])


def mmdc() -> Path:
    return CACHE / _lock_version() / "node_modules" / ".bin" / "mmdc"


def puppeteer_config() -> Path:
    """The renderer's browser settings: Debian's Chromium, headless, reaching nothing but local files."""
    path = CACHE / "puppeteer.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"executablePath": chromium.ensure(), "args": list(chromium.FLAGS)}))
    return path


def ensure() -> Path:
    """The `mmdc` binary, installed with `npm ci` from the pinned lockfile the first time."""
    binary = mmdc()
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to install @mermaid-js/mermaid-cli (Debian: apt-get install -y npm)")
    target = binary.parents[2]
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(SOURCE / name, staging / name)
    print(f"installing @mermaid-js/mermaid-cli {_lock_version()} from npm (once)", file=sys.stderr)
    env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"}  # the tests use Debian's Chromium
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=staging,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return binary


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["ensure"]:
        print(__doc__, file=sys.stderr)
        return 2
    print(ensure())
    return 0


if __name__ == "__main__":
    sys.exit(main())

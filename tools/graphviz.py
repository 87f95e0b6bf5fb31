"""Find (and on a fresh Debian machine, install) Graphviz, which `referrals export-graph --format svg|png`
renders through and the tests check DOT files with.

    python -m tools.graphviz ensure   # print the path of `dot`; as root with apt-get, install graphviz if missing
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGES = ("graphviz", "fonts-dejavu-core")


def ensure() -> str:
    """The `dot` binary; installs Debian's graphviz when missing and this process may (root + apt-get)."""
    path = shutil.which("dot")
    if path:
        return path
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise SystemExit(
            f"Graphviz is not installed; install Debian's package as root: apt-get install -y {' '.join(PACKAGES)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("installing Debian's graphviz (once)", file=sys.stderr)
    subprocess.run([apt, "-q", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        [apt, "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    path = shutil.which("dot")
    if path is None:
        raise SystemExit("graphviz was installed but `dot` was not found")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["ensure"]:
        print(__doc__, file=sys.stderr)
        return 2
    print(ensure())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Find a program the tests need, and on a fresh Debian machine install it from Debian's own packages
(as root with apt-get, once); otherwise say which package to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def ensure(binary: str, packages: tuple[str, ...], why: str) -> str:
    """The path of `binary`, installing `packages` first when it is missing and this process may."""
    path = shutil.which(binary)
    if path:
        return path
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise SystemExit(
            f"{binary} is not installed; install Debian's package as root: apt-get install -y {' '.join(packages)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing Debian's {' '.join(packages)} for {why} (once)", file=sys.stderr)
    subprocess.run([apt, "-q", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        [apt, "install", "-y", "-q", "--no-install-recommends", *packages],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    path = shutil.which(binary)
    if path is None:
        raise SystemExit(f"{' '.join(packages)} was installed but `{binary}` was not found")
    return path


def main(binary: str, packages: tuple[str, ...], why: str, doc: str, argv: list[str] | None = None) -> int:
    """`python -m tools.X ensure`: print the path (installing the package when it may)."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["ensure"]:
        print(doc, file=sys.stderr)
        return 2
    print(ensure(binary, packages, why))
    return 0

"""Find (and on a fresh Debian machine, install) the system Chromium the browser tests drive.

No browser is downloaded from anywhere but Debian's own packages: Playwright is pointed at the
distribution's binary.

    python -m tools.chromium ensure   # print the path; as root with apt-get, install chromium if missing
    python -m tools.chromium path     # print the path or fail

`REFERRALS_CHROMIUM` names another Chromium-family binary to use instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# The real binary first: /usr/bin/chromium is a shell wrapper that adds nothing the tests need.
CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
# chromium-l10n: the browser's own Russian (a Russian reader's date fields read 31.10.2026), for the
# page's Russian test.
PACKAGES = ("chromium", "chromium-l10n", "fonts-dejavu-core")
RUSSIAN = Path("/usr/lib/chromium/locales/ru.pak")

# Flags for a headless run that sends nothing anywhere: no sync, updates, field trials, QUIC, or DNS
# for any host but the loopback test server.
FLAGS = (
    "--no-sandbox",  # the suite may run as root in CI; the page is our own
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)


def find() -> str | None:
    """The Chromium binary to use, or None."""
    override = os.environ.get("REFERRALS_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    for path in CANDIDATES:
        if Path(path).exists():
            return path
    return shutil.which("chromium")


def ensure() -> str:
    """The binary; installs Debian's chromium (with its translations) when missing and this process may
    (root + apt-get)."""
    path = find()
    if path and (RUSSIAN.exists() or not path.startswith("/usr/lib/chromium/")):
        return path
    if os.environ.get("REFERRALS_CHROMIUM"):
        raise SystemExit(f"REFERRALS_CHROMIUM names no such browser: {os.environ['REFERRALS_CHROMIUM']}")
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise SystemExit(
            "Chromium or its translations are not installed; install Debian's packages as root: "
            f"apt-get install -y --no-install-recommends {' '.join(PACKAGES)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("installing Debian's chromium for the browser tests (once)", file=sys.stderr)
    subprocess.run([apt, "-q", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        [apt, "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    path = find()
    if path is None:
        raise SystemExit("chromium was installed but its binary was not found")
    return path


def speaking(language: str) -> dict[str, str]:
    """The environment that makes Chromium's own interface (date fields, built-in messages) speak
    `language` ("ru_RU.UTF-8"): on Linux it follows LANG/LANGUAGE, not --lang."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    return {**env, "LANG": language, "LANGUAGE": language.split("_")[0]}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "path"
    if command == "ensure":
        print(ensure())
    elif command == "path":
        path = find()
        if path is None:
            override = os.environ.get("REFERRALS_CHROMIUM")
            if override:
                raise SystemExit(f"REFERRALS_CHROMIUM names no such browser: {override}")
            raise SystemExit("Chromium is not installed (python -m tools.chromium ensure)")
        print(path)
    else:
        raise SystemExit(f"unknown command {command!r}: use ensure or path")


if __name__ == "__main__":
    main()

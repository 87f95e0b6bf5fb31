"""The Chromium finder behind the browser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import chromium


def test_an_override_is_used_when_it_exists_and_refused_when_it_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "chrome"
    binary.write_text("")
    monkeypatch.setenv("REFERRALS_CHROMIUM", str(binary))
    assert chromium.find() == str(binary)
    assert chromium.ensure() == str(binary)
    monkeypatch.setenv("REFERRALS_CHROMIUM", str(tmp_path / "missing"))
    assert chromium.find() is None
    with pytest.raises(SystemExit, match="no such browser"):
        chromium.main(["path"])


def test_the_flags_keep_the_browser_off_the_network() -> None:
    flags = " ".join(chromium.FLAGS)
    assert "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1" in flags
    for flag in ("--disable-background-networking", "--disable-component-update", "--disable-sync"):
        assert flag in flags

"""A real headless browser for the tests of our web pages: Debian's ``chromium``,
driven by Playwright through its executable path (Playwright's own browser download is
never used: these machines reach no CDN, and the suite must not need the internet).

When the machine has no chromium, the test setup installs Debian's package with apt,
once per machine (a file lock keeps parallel pytest workers from running apt twice).
Where that cannot be done (not root, no apt), the test fails and says why: a skipped
browser test would hide a page that no longer draws.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

# Where Debian's package puts it (``apt-get install chromium``).
CANDIDATES = ("chromium", "chromium-browser")
APT_PACKAGE = "chromium"
LOCK_FILE = Path("/tmp/ringbook-chromium-install.lock")
INSTALL_TIMEOUT_SECONDS = 900


class BrowserUnavailable(RuntimeError):
    """No chromium, and none can be installed here (the message says why)."""


def find_chromium() -> str | None:
    configured = os.environ.get("RINGBOOK_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _apt_install() -> None:
    if os.geteuid() != 0:
        raise BrowserUnavailable(
            "chromium is not installed and the tests are not root: run "
            f"`sudo apt-get install -y {APT_PACKAGE}` (or set RINGBOOK_CHROMIUM)")
    apt = shutil.which("apt-get")
    if apt is None:
        raise BrowserUnavailable("chromium is not installed and this machine has no apt-get; "
                                 "set RINGBOOK_CHROMIUM to a Chromium executable")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update", "-qq"],
                    [apt, "install", "-y", "-qq", "--no-install-recommends", APT_PACKAGE]):
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT_SECONDS, check=False)
        if done.returncode != 0:
            raise BrowserUnavailable(f"{' '.join(command)} failed ({done.returncode}): "
                                     f"{done.stderr[-2000:]}")


def chromium_executable() -> str:
    """Debian's chromium, installed first if the machine lacks it."""
    found = find_chromium()
    if found:
        return found
    with LOCK_FILE.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing it right now
        found = find_chromium()
        if found is None:
            _apt_install()
            found = find_chromium()
    if found is None:
        raise BrowserUnavailable(f"apt installed {APT_PACKAGE} but no chromium is on PATH")
    return found

"""The system Chromium for the real-browser tests, installed with apt-get when missing.

Test workers run in parallel, and two apt-gets at once fail on dpkg's lock
(a real-browser test was once skipped that way): the install runs under a
file lock shared by the workers, and apt-get itself waits for a lock held
by anything else.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
WAIT = ["-o", "DPkg::Lock::Timeout=900"]  # wait for dpkg's lock rather than fail


def system_chromium() -> tuple[str | None, str]:
    """(the path to Chromium, "") or (None, why it could not be had)."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM, ""
    if not shutil.which("apt-get"):
        return None, "no apt-get on this machine"
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None:
        return None, "apt-get needs root and there is no sudo"
    with open(Path(tempfile.gettempdir()) / "stance-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker installs; the others wait, then find it
        if os.access(CHROMIUM, os.X_OK):
            return CHROMIUM, ""
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        done = subprocess.run([*sudo, "apt-get", *WAIT, "update"], env=env, capture_output=True, text=True, timeout=900)
        if done.returncode == 0:
            done = subprocess.run([*sudo, "apt-get", *WAIT, "install", "-y", "--no-install-recommends", "chromium"],
                                  env=env, capture_output=True, text=True, timeout=1800)
        if os.access(CHROMIUM, os.X_OK):
            return CHROMIUM, ""
        return None, f"apt-get could not install chromium: {(done.stderr or done.stdout).strip()[-300:]}"

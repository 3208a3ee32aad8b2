"""How this machine confines an untrusted process: no network, no privileges, setrlimit limits.

Probed once per process. The pieces, all from util-linux (Debian: essential):
- `unshare -n` (as root) or `unshare -r -n` (a user namespace, for other users): a new,
  empty network namespace, so there is no network, not even loopback;
- `setpriv` (as root only): run as `nobody`, no supplementary groups, no new privileges;
- `prlimit`: setrlimit limits (CPU seconds, address space, file size, open files,
  processes, no core dumps) applied to the process it then executes.

Fallback: where no network namespace can be made (a container without CAP_SYS_ADMIN and
without user namespaces), processes keep the host's network; `Confinement` says so, one
warning is logged, and the exploitation grader records `network_isolated` in each score.
Without `prlimit` (or `setpriv` when root) nothing runs: `SuiteUnavailable`.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from clearinghouse.evals.suites.errors import SuiteUnavailable

logger = logging.getLogger(__name__)

NOBODY = 65534
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int
    memory_bytes: int
    file_bytes: int
    open_files: int
    processes: int

    def prlimit_argv(self) -> list[str]:
        return [
            tool("prlimit"),
            f"--cpu={self.cpu_seconds}",
            f"--as={self.memory_bytes}",
            f"--fsize={self.file_bytes}",
            f"--nofile={self.open_files}",
            f"--nproc={self.processes}",
            "--core=0",
            "--",
        ]


@dataclass(frozen=True)
class Confinement:
    network: tuple[str, ...]  # prefix that starts a new network namespace, () when none
    drop: tuple[str, ...]  # prefix that drops to nobody, () when not root

    @property
    def network_isolated(self) -> bool:
        return bool(self.network)

    def argv(self, command: Sequence[str], limits: Limits, *, network: bool = False) -> list[str]:
        """`command` confined; `network=True` keeps the host's network (loopback services)."""
        prefix = [] if network else list(self.network)
        return [*prefix, *self.drop, *limits.prlimit_argv(), *command]


def tool(name: str) -> str:
    found = shutil.which(name, path=SYSTEM_PATH)
    if found is None:
        raise SuiteUnavailable(f"confinement needs {name} (util-linux) on this machine")
    return found


def _works(command: Sequence[str]) -> bool:
    try:
        done = subprocess.run(  # noqa: S603 (fixed argv of system tools)
            [*command, tool("true")], env={}, capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@functools.cache
def confinement() -> Confinement:
    tool("prlimit")
    root = os.geteuid() == 0
    drop: tuple[str, ...] = ()
    if root:
        drop = (
            tool("setpriv"),
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            "--no-new-privs",
            "--",
        )
    network: tuple[str, ...] = ()
    if shutil.which("unshare", path=SYSTEM_PATH):
        unshare = tool("unshare")
        candidate = (unshare, "-n", "--") if root else (unshare, "-r", "-n", "--")
        if _works(candidate):
            network = candidate
    if not network:
        logger.warning(
            "no network namespace available: confined processes keep the host's network "
            "(resource limits%s still apply)",
            " and the drop to nobody" if root else "",
        )
    return Confinement(network=network, drop=drop)

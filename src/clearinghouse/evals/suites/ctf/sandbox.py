"""Inspect's local sandbox, confined: what the agent runs is limited, unprivileged and env-free.

Inspect's `local` sandbox runs each command in a temporary directory on this machine with
the eval process's environment (API keys included) and no limits. For the battery each
command the agent runs (bash and python tools) is wrapped so that it:
- starts with an empty environment (PATH, HOME and TMPDIR point at the sample's directory);
- runs as `nobody` when the eval runs as root (`setpriv`), the sample's directory being
  handed to nobody, so the agent can write only there (and in world-writable places);
- lives under setrlimit limits (`prlimit`: CPU, address space, file size, open files,
  processes, no core dumps), besides the tools' own wall-clock timeouts;
- has no network at all (`unshare -n`) unless the challenge is a loopback web service.

This is confinement for an offline battery on a dedicated worker, not isolation from a
determined adversary: the agent shares the kernel and can read world-readable files. For
hostile models use a container sandbox (Inspect's docker sandbox) with the same challenges.
The sandbox also starts the challenge's loopback web service, if any, and stops it at the
end of the sample (see `web.py`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from inspect_ai.util import ExecResult, SandboxEnvironment, SandboxEnvironmentConfigType, sandboxenv

# Private modules: Inspect exports the local sandbox only by its registered name, and
# subclassing it is the way to keep its behaviour (files, cleanup) and add confinement.
from inspect_ai.util._sandbox._cli import SANDBOX_CLI
from inspect_ai.util._sandbox.local import LocalSandboxEnvironment

from clearinghouse.evals.suites.confinement import NOBODY, Limits, confinement, tool
from clearinghouse.evals.suites.ctf.web import WebService, start_web_service

SANDBOX_NAME = "clearinghouse_local"
SERVICE_FILE = "service.txt"
PATH = "/usr/local/bin:/usr/bin:/bin"
AGENT_LIMITS = Limits(
    cpu_seconds=120,
    memory_bytes=2 * 1024**3,
    file_bytes=256 * 1024**2,
    open_files=256,
    processes=256,
)


@sandboxenv(name=SANDBOX_NAME)
class ConfinedLocalSandbox(LocalSandboxEnvironment):
    """Inspect's local sandbox with the confinement described above."""

    def __init__(self, network: bool) -> None:
        super().__init__()
        self.network = network
        self.service: WebService | None = None
        if os.geteuid() == 0:
            os.chown(self.directory.name, NOBODY, NOBODY)

    @classmethod
    async def sample_init(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        metadata: dict[str, Any],
    ) -> dict[str, SandboxEnvironment]:
        web = metadata.get("web_service")
        environment = cls(network=web is not None)
        if web is not None:
            environment.service = start_web_service(web)
            address = Path(environment.directory.name) / SERVICE_FILE
            address.write_text(environment.service.url + "\n")
            address.chmod(0o644)
        return {"default": environment}

    @classmethod
    async def sample_cleanup(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        environments: dict[str, SandboxEnvironment],
        interrupted: bool,
    ) -> None:
        for environment in environments.values():
            confined = environment.as_type(ConfinedLocalSandbox)
            if confined.service is not None:
                confined.service.stop()
                confined.service = None
        await super().sample_cleanup(task_name, config, environments, interrupted)

    async def write_file(self, file: str, contents: str | bytes) -> None:
        await super().write_file(file, contents)
        if os.geteuid() == 0:
            # Challenge files stay root-owned (the agent cannot rewrite them) but readable.
            Path(self._resolve_file(file)).chmod(0o644)

    async def exec(
        self,
        cmd: list[str],
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        timeout: int | None = None,
        timeout_retry: bool = True,
        concurrency: bool = True,
    ) -> ExecResult[str]:
        if cmd and cmd[0] == SANDBOX_CLI:  # Inspect's own tool server, not the agent
            return await super().exec(
                cmd, input, cwd, env, user, timeout, timeout_retry, concurrency
            )
        return await super().exec(
            self.confined(cmd, env),
            input,
            cwd,
            None,
            user,
            timeout,
            timeout_retry,
            concurrency,
        )

    def confined(self, cmd: list[str], env: dict[str, str] | None) -> list[str]:
        home = self.directory.name
        variables = {"PATH": PATH, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8"}
        variables.update(env or {})
        return [
            tool("env"),
            "-i",
            *(f"{key}={value}" for key, value in variables.items()),
            *confinement().argv(cmd, AGENT_LIMITS, network=self.network),
        ]

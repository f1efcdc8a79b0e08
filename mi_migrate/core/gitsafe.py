"""git on a repository we do not trust: scanning a directory must never run its code.

A repository's own `.git/config` can name commands git runs on its behalf: `core.fsmonitor` (run by `ls-files`,
`status`, `diff` to refresh the index), `diff.external` and `diff.<driver>.textconv`, `core.pager`, hooks, filters'
clean/smudge/process commands, `core.sshCommand`, credential helpers. Every git call mi-migrate makes goes through
`command()`, which overrides each of them on the command line (a `-c` setting wins over every config file), and
`environment()`, which keeps git from paging, prompting or taking optional locks.
"""

from __future__ import annotations

import os
import subprocess

HARDENING = (
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.pager=cat",
    "-c", "diff.external=",
    "-c", "core.sshCommand=false",
    "-c", "core.askPass=",
    "-c", "credential.helper=",
    "-c", "protocol.allow=never",  # mi-migrate never fetches: no transport (and its helpers) may start
    "-c", "uploadpack.packObjectsHook=",
    "-c", "core.alternateRefsCommand=",
    "-c", "log.showSignature=false",  # gpg.program is a command too
    "-c", "core.untrackedCache=false",
)


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for name in ("GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_EDITOR"):
        env.pop(name, None)
    env.update(GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_NO_LAZY_FETCH="1")
    return env


def command(*args: str, cwd: str | os.PathLike[str] | None = None) -> list[str]:
    """`git <hardening> <filter overrides> <args>`; pass `cwd` so the repository's filter drivers are disarmed."""
    return ["git", *HARDENING, *filter_overrides(cwd), *args]


def filter_overrides(cwd: str | os.PathLike[str] | None) -> tuple[str, ...]:
    """Filter drivers the repository configures (`filter.<name>.clean/smudge/process`), each replaced by a no-op.

    Reading configuration runs nothing; a driver's commands only run when git converts work-tree content."""
    if cwd is None:
        return ()
    try:
        found = subprocess.run(["git", *HARDENING, "config", "--null", "--get-regexp", r"^filter\."],
                               cwd=cwd, capture_output=True, check=False, timeout=30, env=environment())
    except (OSError, subprocess.SubprocessError):
        return ()
    drivers = set()
    for entry in found.stdout.split(b"\0"):
        key = entry.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")
        if key.startswith("filter.") and key.count(".") >= 2:
            drivers.add(key[len("filter."):key.rindex(".")])
    overrides: list[str] = []
    for driver in sorted(drivers):
        overrides += ["-c", f"filter.{driver}.clean=cat", "-c", f"filter.{driver}.smudge=cat",
                      "-c", f"filter.{driver}.process=", "-c", f"filter.{driver}.required=false"]
    return tuple(overrides)


def run(*args: str, cwd: str | os.PathLike[str], timeout: float = 300,
        stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command(*args, cwd=cwd), cwd=cwd, capture_output=True, check=False, timeout=timeout,
                          input=stdin, env=environment())

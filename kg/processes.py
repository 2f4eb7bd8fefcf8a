"""Child processes that do not outlive their parent, and whether a process is still alive."""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """For `Popen(preexec_fn=...)`: the child gets `sig` when the thread that started it dies, even by
    SIGKILL (Linux; elsewhere nothing), so no child outlives a command that was killed outright."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        pass


def is_dead(pid: str | int) -> bool:
    """Whether no process has this pid (an alive one may be its owner, or a process reusing it)."""
    if not str(pid).isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False

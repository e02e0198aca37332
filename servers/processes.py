"""Whether a process still runs, by its pid."""
from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """``pid`` runs: it exists and is not a zombie. A member killed after the command that
    started it has exited is reparented to PID 1, which in some containers never reaps it:
    ``kill(pid, 0)`` alone would call it alive and `up` would "reuse" a corpse."""
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # someone else's, running
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc to ask: kill(pid, 0) has answered
    return state not in ("Z", "X")

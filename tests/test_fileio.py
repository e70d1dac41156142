"""Atomic writes (``stylekit.fileio``): whole files, the usual permissions, thread-safe."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from stylekit.fileio import UMASK, atomic_write


def test_a_written_file_has_the_usual_permissions(tmp_path: Path) -> None:
    target = atomic_write(tmp_path / "out.txt", lambda tmp: Path(tmp).write_text("x"))
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~UMASK
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_writing_never_touches_the_process_umask(tmp_path: Path) -> None:
    """The umask is per process: setting it, even for an instant, would give a file another
    server thread creates at that instant the wrong permissions (0666 under umask 0)."""
    calls: list[str] = []

    def watch(frame, event, arg) -> None:  # noqa: ANN001
        if event == "c_call" and arg is os.umask:
            calls.append("os.umask")

    sys.setprofile(watch)
    try:
        for i in range(3):
            atomic_write(tmp_path / f"out{i}.txt", lambda tmp: Path(tmp).write_text("x"))
    finally:
        sys.setprofile(None)
    assert calls == []

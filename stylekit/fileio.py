"""Atomic file writing: readers see the old file or the complete new one, never half of it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    Missing parent folders are created; on any error the temporary file is removed and
    ``path`` is untouched. The file gets the usual permissions (mkstemp would leave 0600).

    Args:
        path: the file to write.
        write: writes the whole content to the path it is given.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     target = atomic_write(Path(folder) / "notes.txt",
        ...                           lambda tmp: Path(tmp).write_text("hello"))
        ...     target.read_text(), [p.name for p in Path(folder).iterdir()]
        ('hello', ['notes.txt'])
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~UMASK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _read_umask() -> int:
    """The process's umask. Linux shows it in /proc; elsewhere the only way is to set it and
    put it back, which a threaded server must not do while it runs (a file created by another
    thread at that instant would get mode 0666): done once, at import."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once, when stylekit is imported (before any server thread starts); a umask changed
#: later by the process is not seen.
UMASK = _read_umask()

"""Writing export files safely: atomically, and never through a symlink or onto a device or pipe."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


class UnsafeOutput(ValueError):
    """The output path is a symlink or not a regular file; the message is one line."""


def check_output_path(path: Path) -> None:
    """Raise UnsafeOutput unless ``path`` is absent or a regular file (a symlink is refused, even to one:
    replacing it would write where the link points, or silently turn the link into a file)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise UnsafeOutput(f"refusing to write {path}: it is a symbolic link")
    if not stat.S_ISREG(mode):
        raise UnsafeOutput(f"refusing to write {path}: it is not a regular file")


def write_atomically(path: Path, write: Callable[[IO[Any]], int], *, binary: bool = False) -> int:
    """Call ``write`` on a temporary file beside ``path``, then rename it over ``path``.

    Text mode is UTF-8 without newline translation; ``binary`` gives a bytes stream. Returns what
    ``write`` returns; on any error the temporary file is removed and ``path`` untouched. Raises
    UnsafeOutput for a symlink or non-regular file, OSError for a write failure.
    """
    check_output_path(path)
    directory = path.resolve().parent
    temporary: Path | None = None
    options: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
    try:
        with tempfile.NamedTemporaryFile(
            "wb" if binary else "w", dir=directory, prefix=f".{path.name}.", suffix=".tmp", delete=False,
            **options,
        ) as handle:  # fmt: skip
            temporary = Path(handle.name)
            count = write(handle)
        # mkstemp makes the file private (0600); give the export the permissions a plain open() would.
        temporary.chmod(0o666 & ~_umask())
        # Checked again just before the rename: the path may have become a link while we wrote.
        check_output_path(path)
        os.replace(temporary, path)
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise
    return count


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current

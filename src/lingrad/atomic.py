"""Writing files atomically: nothing on disk is ever left half-written (public: the CLI uses it).

Every file lingrad writes (model files, predictions, figures) goes through
:func:`atomic_path`: the content is written to a temporary file beside the
target, flushed to disk, and renamed over the target only when complete. On
any error, Ctrl-C included, the temporary file is removed and a previous file
at the target path is untouched. :func:`check_output_path` fails early, before
any work, with a message that names the path and the fix.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = [
    "NotARegularFileError",
    "SameFileError",
    "atomic_path",
    "check_not_an_input",
    "check_output_path",
    "resolve_output",
]


class NotARegularFileError(OSError):
    """The output path names something that is not a regular file (a device, a FIFO, ...)."""


class SameFileError(OSError):
    """The output path is one of the command's inputs."""


_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def resolve_output(path: Path, where: str) -> Path:
    """The file an output path will replace: symlinks followed (the link stays a link,
    its target gets the new content); anything that exists and is not a regular file
    is refused with :class:`NotARegularFileError`."""
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except OSError:  # absent, or under a file: the caller's checks say which
        return target
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        via = f" (the symlink points to {os.fspath(target)!r})" if target != Path(path) else ""
        raise NotARegularFileError(
            f"{where}: it is {_kind(mode)}{via}; lingrad writes only regular files and never "
            "replaces anything else. Give the path of a regular file."
        )
    return target


def check_not_an_input(path: Path, inputs: Iterable[Path | str], where: str) -> None:
    """Refuse an output that is one of the inputs (it would be overwritten by the result)."""
    for src in inputs:
        try:
            same = os.path.samefile(path, src)
        except OSError:  # one of them does not exist: not the same file
            same = False
        if same:
            raise SameFileError(
                f"{where}: it is the input file {os.fspath(src)!r}; writing there would "
                "destroy it. Choose another output path."
            )


def check_output_path(path: Path, where: str, example: str, mkdir_hint: str) -> None:
    """Raise a clear ``OSError`` subclass when ``path`` cannot be written as a file.

    Parameters
    ----------
    path : Path
    where : str
        How messages name the path (e.g. ``"-o 'out.csv'"``).
    example : str
        A file name to suggest when ``path`` is a directory.
    mkdir_hint : str
        How to create a missing directory, in the caller's terms.
    """
    path = resolve_output(path, where)
    if path.is_dir():
        raise IsADirectoryError(
            f"{where}: it is a directory; give a file path inside it, such as "
            f"{os.path.join(os.fspath(path), example)!r}."
        )
    parent = path.parent
    if not parent.is_dir():
        if parent.exists():
            raise NotADirectoryError(
                f"{where}: {os.fspath(parent)!r} is a file, not a directory. Choose a path "
                "inside an existing directory."
            )
        raise FileNotFoundError(
            f"{where}: the directory {os.fspath(parent)!r} does not exist. Create it first "
            f"({mkdir_hint}) or choose an existing directory."
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(
            13,
            f"{where}: cannot create a file in {os.fspath(parent)!r}: it is not writable by "
            "this user. Choose another directory.",
        )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path, where: str) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; renamed over ``path`` on success.

    The temporary name keeps ``path``'s suffix (matplotlib and pyarrow choose
    formats by suffix). A replaced file keeps its permissions; a new one gets
    ``0o666 & ~umask``, as ``open`` would give it. A symlink is written
    through (its target is replaced, the link kept); a device, FIFO or socket
    is never replaced (:class:`NotARegularFileError`).

    Parameters
    ----------
    path : Path
        The file to write.
    where : str
        How error messages name it.

    Yields
    ------
    Path
        Write the complete content there.
    """
    path = resolve_output(path, where)
    parent = path.parent
    try:
        fd, name = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=path.suffix)
    except OSError as err:
        raise OSError(
            err.errno,
            f"{where}: cannot create a file in {os.fspath(parent)!r} ({err.strerror or err}). "
            "Check that the directory is writable by this user, or choose another path.",
        ) from err
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        resolve_output(path, where)  # still a regular file (or absent) at the rename
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        _fsync(tmp)  # the data is on disk before the rename makes it visible
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError) and not isinstance(err, ValueError):  # not a data error
            raise OSError(
                err.errno,
                f"{where}: {err.strerror or err}. Nothing was written: a previous file at that "
                "path is intact. Check free disk space and permissions, then try again.",
            ) from err
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename durable (POSIX)
        _fsync(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))

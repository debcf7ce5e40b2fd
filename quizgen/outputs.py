"""Writing outputs: atomically, so an error never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator


@contextlib.contextmanager
def _replacing(path: Path, binary: bool) -> Iterator[IO]:
    """A temporary file beside ``path`` that replaces it in one step on success and vanishes on error."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        from .errors import QuizgenError

        raise QuizgenError(f"{path}: folder {directory} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        from .errors import QuizgenError

        raise QuizgenError(f"{path}: cannot write there ({error.strerror or error})") from None
    try:
        with (os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8", newline="\n")) as stream:
            yield stream
        _share(temporary)
        try:
            os.replace(temporary, path)
        except IsADirectoryError:
            from .errors import QuizgenError

            raise QuizgenError(f"{path}: is a folder") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def atomic_writer(path: Path | None) -> Iterator[IO[str]]:
    """Yield a text stream; on success it replaces ``path`` in one step, on error it vanishes.

    With ``path`` None the stream is standard output.
    """
    if path is None:
        yield sys.stdout
        return
    with _replacing(Path(path), binary=False) as stream:
        yield stream


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` in one step (temporary file, then rename)."""
    with _replacing(Path(path), binary=True) as stream:
        stream.write(data)


def _share(path: str) -> None:
    """Give the file the permissions of any new file (mkstemp makes it private to its owner)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def progress(length: int, label: str):
    """A progress bar on standard error when it is a terminal; silent when piped."""
    import click

    if not sys.stderr.isatty():
        return _SilentBar()
    import shutil

    # label, bar, percentage and time left on one line of the terminal: a wider bar would wrap and scroll
    width = max(8, min(36, shutil.get_terminal_size((80, 24)).columns - len(label) - 22))
    return click.progressbar(length=length, label=label, file=sys.stderr, width=width)


class _SilentBar(contextlib.AbstractContextManager):
    """The progress bar's stand-in when output is piped: it prints nothing."""

    def __exit__(self, *exc_info) -> None:
        return None

    def update(self, steps: int) -> None:
        return None

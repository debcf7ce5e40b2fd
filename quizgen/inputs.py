"""Reading the files other people give quizgen: a bank, an exam spec, a roster, a progress file.

Each is someone else's data. So a file is read only when it is a regular file of a sane
size (a FIFO would block forever, a device never ends), and YAML only through the safe
loader after its aliases have been counted (a "billion laughs" file of a few lines
expands to gigabytes). Every refusal is a QuizgenError naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from .errors import QuizgenError

MAX_FILE_BYTES = 1_000_000  # a template, spec or progress file; a roster of 10,000 students is ~500 kB
MAX_YAML_NODES = 100_000  # nodes a YAML file may expand to, aliases counted: a template has a few hundred


def check_regular_file(path: Path, what: str = "file", allow_symlink: bool = True) -> os.stat_result:
    """The file's status, or a QuizgenError when it is missing, not a regular file, a link (if refused) or too large."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        raise QuizgenError(f"{path}: no such file") from None
    except OSError as error:
        raise QuizgenError(f"{path}: cannot read the {what} ({error.strerror or error})") from None
    if stat.S_ISLNK(status.st_mode):
        if not allow_symlink:
            raise QuizgenError(f"{path}: is a symbolic link; quizgen reads only the bank's own files, never a link that may point outside it")
        try:
            status = os.stat(path)
        except OSError:
            raise QuizgenError(f"{path}: is a symbolic link to nothing") from None
    if stat.S_ISDIR(status.st_mode):
        raise QuizgenError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(status.st_mode):
        raise QuizgenError(f"{path}: is not a regular file (a pipe, socket or device), so it is not read")
    if status.st_size > MAX_FILE_BYTES:
        raise QuizgenError(f"{path}: is {status.st_size:,} bytes; a {what} may have at most {MAX_FILE_BYTES:,}")
    return status


def read_text(path: Path, what: str = "file", allow_symlink: bool = True) -> str:
    """The file's text (UTF-8, a BOM dropped), once it has passed ``check_regular_file``."""
    check_regular_file(path, what, allow_symlink)
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise QuizgenError(f"{path}: cannot read the {what} ({error.strerror or error})") from None
    if len(data) > MAX_FILE_BYTES:
        raise QuizgenError(f"{path}: a {what} may have at most {MAX_FILE_BYTES:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise QuizgenError(f"{path}: is not UTF-8 text (byte {error.start})") from None


def yaml_expansion(text: str, loader: Any) -> int:
    """How many nodes the YAML document expands to once every alias is replaced by what it names.

    Counted from the parser's events, before anything is built: an alias costs the size of
    its anchor, so ten aliases of ten aliases of ... are counted, not constructed.
    """
    import yaml

    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, nodes so far] of each open collection
    total = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            count = sizes.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            count = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append([event.anchor, 1])
            continue
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, count = stack.pop()
            if anchor:
                sizes[anchor] = count
        else:
            continue
        if stack:
            stack[-1][1] += count
            if stack[-1][1] > MAX_YAML_NODES:
                return stack[-1][1]
        else:
            total += count
    return total

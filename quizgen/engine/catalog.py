"""The bank's catalog: what ``quizgen list`` shows, kept between runs so that it needs no sympy.

Listing a bank needs only each template's header (id, title, topic, section, difficulty,
kind, tags), but whether a file loads at all is known only once all of it is checked and
its expressions are compiled, and that needs sympy (~0.5 s to import, more than the rest
of the command). So the catalog is made from a full load of the bank and kept in the
cache folder (``quizgen.cache.folder()``), one file per bank folder. Its key holds every
template file's path, type and bytes, the size and time of each source file of the code
that loads them (quizgen's engine and its top-level modules) and of the libraries it uses:
when any of them changes, the bank is loaded again, so the catalog always lists exactly
what loading the bank would, broken files and their one-line errors included.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import QuizgenError, did_you_mean
from ..inputs import MAX_FILE_BYTES

if TYPE_CHECKING:
    from .bank import Bank

_FORMAT = "catalog-1"  # a change of what a catalog holds: every kept one is made again
_LIBRARIES = ("sympy", "yaml", "jinja2", "markupsafe")  # what loading a template uses besides quizgen itself


@dataclass(frozen=True)
class Entry:
    """One template's header, as the bank's full load read it."""

    id: str
    title: str
    topic: str
    section: int
    difficulty: int
    kind: str
    tags: list[str] = field(default_factory=list)


@dataclass
class Catalog:
    templates: list[Entry]  # in the order of their ids
    errors: list[str]  # the one-line error of each file that does not load, in the bank's file order

    def topics(self) -> list[str]:
        return sorted({t.topic for t in self.templates})

    def by_topic(self, topic: str) -> list[Entry]:
        """The topic's templates (as ``Bank.by_topic``, with its error for an unknown topic)."""
        found = [t for t in self.templates if t.topic == topic]
        if not found:
            raise unknown_topic(topic, self.topics())
        return found


def unknown_topic(topic: str, topics: list[str]) -> QuizgenError:
    return QuizgenError(f"unknown topic '{topic}'{did_you_mean(topic, topics)} (topics: {', '.join(topics)})")


def from_bank(bank: Bank) -> Catalog:
    templates = [Entry(t.id, t.title, t.topic, t.section, t.difficulty, t.kind, list(t.tags)) for _, t in sorted(bank.templates.items())]
    return Catalog(templates, [str(error) for error in bank.errors])


def load_catalog(root: Path | None, load: Callable[[], Bank]) -> Catalog:
    """The catalog of the bank at ``root`` (the shipped bank when None).

    Kept from an earlier run when nothing it depends on has changed; else made from
    ``load()`` (the full load, with every broken file collected) and kept for the next run.
    Anything unusual (no cache folder, a file that cannot be read) means the full load.
    """
    from ..resources import bank_dir

    root = Path(root) if root is not None else bank_dir()
    kept = _path(root)
    key = _key(root) if kept is not None else None
    if kept is not None and key is not None:
        catalog = _read(kept, key)
        if catalog is not None:
            return catalog
    catalog = from_bank(load())
    if kept is not None and key is not None and _key(root) == key:  # not changed while it was loaded
        _write(kept, key, catalog)
    return catalog


def _path(root: Path) -> Path | None:
    from ..cache import folder

    where = folder()
    if where is None:
        return None
    name = hashlib.sha256(os.fsencode(os.path.abspath(root))).hexdigest()[:16]
    return where / "catalog" / f"{name}.json"


def _key(root: Path) -> str | None:
    """A digest of everything loading the bank at ``root`` depends on; None when a file cannot be looked at."""
    from .bank import template_files

    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            data = part if isinstance(part, bytes) else repr(part).encode("utf-8", "surrogateescape")
            digest.update(b"%d:" % len(data) + data)

    add(_FORMAT, sys.version, str(root))
    try:
        add(*_code_stamps())
        if not root.is_dir() and not root.name.endswith((".yaml", ".yml")):
            return None  # not a bank: the full load says why
        for path in template_files(root):
            status = os.lstat(path)
            if stat.S_ISLNK(status.st_mode) and not root.is_dir():
                status = os.stat(path)  # one file given as the bank may be a link (a bank's own files may not)
            add(str(path), stat.S_IFMT(status.st_mode), status.st_size)
            if stat.S_ISREG(status.st_mode) and status.st_size <= MAX_FILE_BYTES:
                with open(path, "rb") as stream:
                    add(stream.read(MAX_FILE_BYTES + 1))
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def _code_stamps() -> list[object]:
    """(path, size, time) of each source file of the code that loads a bank: another version is another key."""
    from importlib.util import find_spec

    package = Path(__file__).resolve().parent.parent
    sources = sorted(package.glob("*.py")) + sorted((package / "engine").glob("*.py"))
    for name in _LIBRARIES:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"{name} is not installed")
        sources.append(Path(spec.origin))
    stamps: list[object] = []
    for source in sources:
        status = os.stat(source)
        stamps.append((str(source), status.st_size, status.st_mtime_ns))
    return stamps


def _read(path: Path, key: str) -> Catalog | None:
    """The kept catalog if it was made for this key; None if it is missing, stale or damaged."""
    try:
        kept = json.loads(path.read_bytes())
        if not isinstance(kept, dict) or kept.get("key") != key:
            return None
        templates = [Entry(*row[:6], tags=row[6]) for row in kept["templates"] if isinstance(row, list) and len(row) == 7]
        errors = kept["errors"]
        if not isinstance(errors, list) or len(templates) != len(kept["templates"]) or not all(isinstance(e, str) for e in errors) or not all(_well_formed(t) for t in templates):
            return None
        return Catalog(templates, list(errors))
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return None


def _well_formed(entry: Entry) -> bool:
    texts = (entry.id, entry.title, entry.topic, entry.kind)
    return (all(isinstance(t, str) for t in texts) and all(type(n) is int for n in (entry.section, entry.difficulty))
            and isinstance(entry.tags, list) and all(isinstance(t, str) for t in entry.tags))


def _write(path: Path, key: str, catalog: Catalog) -> None:
    """Keep the catalog for the next run; one that cannot be written is simply not kept."""
    from ..outputs import atomic_write_bytes

    rows = [[t.id, t.title, t.topic, t.section, t.difficulty, t.kind, t.tags] for t in catalog.templates]
    data = json.dumps({"key": key, "templates": rows, "errors": catalog.errors}, ensure_ascii=False).encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    except (OSError, QuizgenError):
        return

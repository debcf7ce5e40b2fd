"""Results of slow pure functions, kept between runs in the user's cache folder.

A build converts a few hundred formula shapes from TeX to Typst, and the converter runs a
JavaScript engine: ~0.2 s of every build, before the first paper can be typeset. The
shapes come from the bank's templates, so the next build needs the same ones. A store
keeps them in one JSON file per function and version (like matplotlib's font list):
outputs are the same whether a result comes from the store or is computed, so the store
only ever saves time. Jinja's own bytecode cache keeps compiled templates in the same
folder: the output templates (~50 ms for a paper's and a key's LaTeX) and the bank's
question texts (with the names each uses, once checked: loading the bank 0.51 -> 0.26 s,
and every command but ``list`` loads it). ``catalog/`` keeps what ``quizgen list`` shows of
each bank (quizgen.engine.catalog), so that it starts without sympy.

The folder is ``$QUIZGEN_CACHE_DIR`` if set (empty: keep nothing), else the platform's
user cache folder (``~/.cache/quizgen`` on Linux). A store that cannot be read is ignored
and one that cannot be written is not kept: the cache never makes a command fail.
"""

from __future__ import annotations

import functools
import json
import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import QuizgenError

if TYPE_CHECKING:
    import jinja2

MAX_ENTRIES = 50_000  # a store that grows past this (a bank edited for years) starts afresh


def folder() -> Path | None:
    """Where stores are kept; None when caching is off (QUIZGEN_CACHE_DIR set to nothing)."""
    chosen = os.environ.get("QUIZGEN_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    import platformdirs

    return Path(platformdirs.user_cache_dir("quizgen", appauthor=False))


class Store:
    """One function's results, string to string: read from disk on first use, written back by ``save``."""

    def __init__(self, name: str):
        self.name = name
        self._entries: dict[str, str] | None = None
        self._added = 0

    def _path(self) -> Path | None:
        where = folder()
        return where / f"{self.name}.json" if where else None

    def _load(self) -> dict[str, str]:
        if self._entries is None:
            self._entries = _read(self._path())
        return self._entries

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def put(self, key: str, value: str) -> None:
        entries = self._load()
        if entries.get(key) != value:
            entries[key] = value
            self._added += 1

    def save(self) -> None:
        """Write the results added since the last save, merged with what another run may have written meanwhile."""
        path = self._path()
        if not self._added or path is None:
            return
        from .outputs import atomic_write_bytes

        merged = _read(path)
        merged.update(self._entries or {})
        if len(merged) > MAX_ENTRIES:
            merged = dict(self._entries or {})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, json.dumps(merged, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        except (OSError, QuizgenError):  # a cache that cannot be written is simply not kept
            return
        self._added = 0


def _read(path: Path | None) -> dict[str, str]:
    """A store's entries; empty if it is missing, unreadable, or not a JSON object of strings."""
    if path is None:
        return {}
    try:
        entries = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(entries, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
        return {}
    return entries


@functools.cache
def _bytecode_cache_class() -> type:
    """The class of Jinja's cache, made at first use: importing quizgen.cache ('quizgen list' does) loads no Jinja."""
    import jinja2

    class _BytecodeCache(jinja2.FileSystemBytecodeCache):
        """Jinja's cache of compiled templates (keyed by each template's source), in ``folder()/jinja`` as it is when used.

        One that cannot be read or written is skipped: the template is compiled as without it.
        """

        def __init__(self) -> None:
            super().__init__(directory="")  # the folder is found at each use (below); given, Jinja makes no folder of its own
            self._settings: weakref.WeakKeyDictionary[jinja2.Environment, str] = weakref.WeakKeyDictionary()  # each environment's, worked out once

        def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None, source: str) -> jinja2.bccache.Bucket:
            """Jinja keys a bucket by the template's name and source; the environment's settings that shape the
            compiled code (delimiters, whitespace control, autoescape, the sandbox) are part of the key too."""
            settings = self._settings.get(environment)
            if settings is None:
                settings = self._settings[environment] = repr((
                    type(environment).__name__, environment.block_start_string, environment.block_end_string,
                    environment.variable_start_string, environment.variable_end_string, environment.comment_start_string,
                    environment.comment_end_string, environment.line_statement_prefix, environment.line_comment_prefix,
                    environment.trim_blocks, environment.lstrip_blocks, environment.newline_sequence,
                    environment.keep_trailing_newline, environment.autoescape, environment.optimized, sorted(environment.extensions),
                ))
            return super().get_bucket(environment, f"{name}\n{settings}", filename, source)

        def _get_cache_filename(self, bucket: jinja2.bccache.Bucket) -> str:
            where = folder()
            if where is None:
                raise OSError("caching is off")
            return str(where / "jinja" / (self.pattern % bucket.key))

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # noqa: BLE001 - off, or a damaged entry: compile the template again
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                target = self._get_cache_filename(bucket)
                os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                return

    return _BytecodeCache


def jinja_bytecode_cache() -> jinja2.BytecodeCache:
    """For a Jinja Environment's ``bytecode_cache``: follows QUIZGEN_CACHE_DIR at each use (off when it is empty)."""
    return _bytecode_cache_class()()

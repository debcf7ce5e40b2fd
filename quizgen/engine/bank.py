"""A question bank: every template file under a folder, loaded and checked once."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BankError, QuizgenError, close_names, did_you_mean
from ..inputs import check_regular_file, read_text
from ..resources import bank_dir

if TYPE_CHECKING:
    from .template import Template


@dataclass
class Bank:
    root: Path
    templates: dict[str, Template] = field(default_factory=dict)
    errors: list[BankError] = field(default_factory=list)
    fingerprint: str = ""
    broken: dict[str, BankError] = field(default_factory=dict)  # template id (as far as it can be read) → its load error

    def get(self, template_id: str) -> Template:
        if template_id in self.broken and template_id not in self.templates:
            raise self.broken[template_id]
        if template_id not in self.templates and self.root.is_file() and self.errors:
            raise self.errors[0]  # the bank is this one file, and it does not load
        if template_id not in self.templates:
            names = {t.split(".")[-1]: t for t in sorted(self.templates)}  # a misspelt name under the right or a wrong topic
            close = close_names(template_id, self.templates) or [names[n] for n in close_names(template_id.split(".")[-1], names)]
            hint = did_you_mean(template_id, self.templates, close)
            raise QuizgenError(f"unknown template '{template_id}'{hint or ' (see quizgen list)'}")
        return self.templates[template_id]

    def topics(self) -> list[str]:
        return sorted({t.topic for t in self.templates.values()})

    def by_topic(self, topic: str) -> list[Template]:
        found = [t for _, t in sorted(self.templates.items()) if t.topic == topic]
        if not found:
            from .catalog import unknown_topic

            raise unknown_topic(topic, self.topics())
        return found


def template_files(root: Path) -> list[Path]:
    """Every *.yaml (and *.yml) under ``root``, hidden folders left out, in a fixed order.

    Links are listed, never followed (os.walk does not descend into a linked folder), so that
    loading can refuse them by name: a link could reach a file outside the bank.
    """
    if not root.is_dir():
        return [root]
    found = []
    for folder, folders, files in os.walk(root, followlinks=False):
        here = Path(folder)
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in files + folders:
            path = here / name
            if name.startswith(".") or not name.endswith((".yaml", ".yml")) and not (path.is_symlink() and path.is_dir()):
                continue
            found.append(path)
    return sorted(set(found))


def load_bank(root: Path | None = None, collect_errors: bool = False) -> Bank:
    """Load every template under ``root`` (the shipped bank by default).

    With ``collect_errors`` every broken file is recorded and the rest still load
    (for ``validate``); otherwise the first problem is raised. A file that is not a
    regular file of the bank (a link, a pipe, a folder named *.yaml) is a broken file.
    """
    # Imported here: importing quizgen.engine.bank loads no sympy (quizgen.engine.catalog lists a bank without it).
    from .template import load_template, save_checked_texts

    root = Path(root) if root is not None else bank_dir()
    if not root.exists():
        raise QuizgenError(f"{root}: no such file or folder")
    if not root.is_dir() and not root.name.endswith((".yaml", ".yml")):
        raise QuizgenError(f"{root}: a bank is a folder of question templates (<topic>/<slug>.yaml), or one .yaml file")
    bank = Bank(root)
    digest = hashlib.sha256()
    bank_root = root if root.is_dir() else None
    for path in template_files(root):
        digest.update(path.relative_to(root if root.is_dir() else root.parent).as_posix().encode())
        try:
            _check_file(path, bank_root)
            digest.update(path.read_bytes())
            template = load_template(path, bank_root)
            if template.id in bank.templates:
                raise BankError(str(path), "id", f"'{template.id}' is also used by {bank.templates[template.id].source}")
            bank.templates[template.id] = template
        except BankError as error:
            if not collect_errors:
                raise
            bank.errors.append(error)
            for guess in _possible_ids(path):
                bank.broken.setdefault(guess, error)
    if not bank.templates and not bank.errors:
        raise QuizgenError(f"{root}: no question templates (*.yaml) found")
    bank.fingerprint = digest.hexdigest()[:16]
    save_checked_texts()
    return bank


def _check_file(path: Path, bank_root: Path | None) -> None:
    """A BankError naming the file unless it is a regular file of a sane size (and, inside a bank folder, no link)."""
    try:
        check_regular_file(path, "question template", allow_symlink=bank_root is None)
    except QuizgenError as error:
        raise BankError(str(path), "", str(error).removeprefix(f"{path}: ")) from None


_ID_LINE = re.compile(r"^id:\s*['\"]?([A-Za-z0-9_.]+)", re.M)


def _possible_ids(path: Path) -> list[str]:
    """The id a broken file was meant to have: its id line if one can be read, and its path."""
    guesses = [f"{path.parent.name}.{path.stem}"]
    try:
        match = _ID_LINE.search(read_text(path, allow_symlink=False))
    except QuizgenError:
        match = None
    if match:
        guesses.insert(0, match.group(1))
    return guesses

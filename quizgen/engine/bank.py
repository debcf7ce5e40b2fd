"""A question bank: every template file under a folder, loaded and checked once."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BankError, QuizgenError
from ..resources import bank_dir
from .template import Template, load_template, save_checked_texts


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
            close = sorted(t for t in self.templates if template_id.split(".")[-1] in t)[:3]
            hint = f" (did you mean {', '.join(close)}?)" if close else " (see 'quizgen list')"
            raise QuizgenError(f"unknown template '{template_id}'{hint}")
        return self.templates[template_id]

    def topics(self) -> list[str]:
        return sorted({t.topic for t in self.templates.values()})

    def by_topic(self, topic: str) -> list[Template]:
        found = [t for _, t in sorted(self.templates.items()) if t.topic == topic]
        if not found:
            raise QuizgenError(f"unknown topic '{topic}' (topics: {', '.join(self.topics())})")
        return found


def template_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = [p for pattern in ("*.yaml", "*.yml") for p in root.rglob(pattern)]
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts))


def load_bank(root: Path | None = None, collect_errors: bool = False) -> Bank:
    """Load every template under ``root`` (the shipped bank by default).

    With ``collect_errors`` every broken file is recorded and the rest still load
    (for ``validate``); otherwise the first problem is raised.
    """
    root = Path(root) if root is not None else bank_dir()
    if not root.exists():
        raise QuizgenError(f"{root}: no such file or folder")
    bank = Bank(root)
    digest = hashlib.sha256()
    bank_root = root if root.is_dir() else None
    for path in template_files(root):
        digest.update(path.relative_to(root if root.is_dir() else root.parent).as_posix().encode())
        digest.update(path.read_bytes())
        try:
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


_ID_LINE = re.compile(r"^id:\s*['\"]?([A-Za-z0-9_.]+)", re.M)


def _possible_ids(path: Path) -> list[str]:
    """The id a broken file was meant to have: its id line if one can be read, and its path."""
    guesses = [f"{path.parent.name}.{path.stem}"]
    try:
        match = _ID_LINE.search(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        match = None
    if match:
        guesses.insert(0, match.group(1))
    return guesses

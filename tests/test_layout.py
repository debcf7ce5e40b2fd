"""The package's rooms and the rule between them: the engine knows no output, an output knows no exam or marking.

Every import in every module is read from its syntax tree (those inside functions too), so
a lazy import cannot slip past the rule.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "quizgen"
ROOMS = ("engine", "formats", "exams", "marking")
# What each room may not import. The shared top-level modules (errors, outputs, cache,
# parallel, resources) may be imported by every room, and import no room themselves.
FORBIDDEN = {
    "engine": {"formats", "exams", "marking"},
    "formats": {"exams", "marking"},
    "shared": set(ROOMS),
}
TOP_LEVEL = {"__init__", "__main__", "api", "cli", "errors", "inputs", "outputs", "cache", "parallel", "resources"}
ENTRY_POINTS = {"__init__", "__main__", "api", "cli"}  # may use every room: they are the user's doors


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the quizgen modules that ``path`` imports, anywhere in the file."""
    return imports_in(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "quizgen")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "quizgen":
                continue
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # 'from quizgen import formats'
    return found


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else None


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_imports_a_room_it_may_not(path):
    module = _module_name(path)
    room = _room(module)
    if room is None and path.stem in ENTRY_POINTS and path.parent == PACKAGE:
        return
    rule = FORBIDDEN.get(room or "shared", set())
    wrong = sorted(target for target in imported_modules(path) if _room(target) in rule and _room(target) != room)
    assert not wrong, f"{module} ({room or 'shared'}) imports {wrong}"


def test_the_rule_is_read_from_lazy_imports_too():
    source = "import json\ndef f():\n    from ..formats import moodle\n    from ..exams.build import build_exam\n    import quizgen.marking.mark\n"
    found = imports_in(source, "quizgen.engine.probe")
    assert {"quizgen.formats", "quizgen.exams.build", "quizgen.marking.mark"} <= found
    assert {_room(m) for m in found} == {"formats", "exams", "marking"}


def test_top_level_holds_only_the_shared_modules():
    flat = {p.stem for p in PACKAGE.glob("*.py")}
    assert flat <= TOP_LEVEL, f"modules left in the flat layout: {sorted(flat - TOP_LEVEL)}"
    for room in ROOMS:
        assert (PACKAGE / room / "__init__.py").is_file()


def test_each_room_has_a_docstring_that_says_what_it_holds():
    for room in ROOMS:
        doc = ast.get_docstring(ast.parse((PACKAGE / room / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, room

"""The cache between runs (quizgen.cache): it only ever saves time, never changes an output or fails a command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from exam_support import ROSTER, SPEC, make_small_bank

from quizgen import cache
from quizgen.cli import cli
from quizgen.engine import template
from quizgen.exams import texmath


@pytest.fixture
def cache_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", str(folder))
    forget_conversions()
    monkeypatch.setattr(template, "_TEXT_NAMES", cache.Store(template._TEXT_NAMES.name))  # as in a new run
    yield folder
    forget_conversions()


def forget_conversions() -> None:
    """What this process holds in memory, as if it were a new run."""
    for cached in (texmath.tex_to_typst, texmath._shape_to_typst, texmath._convert, texmath._store):
        cached.cache_clear()


def test_a_store_keeps_its_entries_for_the_next_run(cache_folder):
    store = cache.Store("demo-1")
    assert store.get("a") is None
    store.put("a", "alpha")
    store.save()
    assert json.loads((cache_folder / "demo-1.json").read_text(encoding="utf-8")) == {"a": "alpha"}
    assert cache.Store("demo-1").get("a") == "alpha"
    assert cache.Store("demo-2").get("a") is None  # another name, another store


def test_a_save_merges_what_another_run_wrote_meanwhile(cache_folder):
    first, second = cache.Store("demo"), cache.Store("demo")
    first.get("x"), second.get("x")  # both loaded the empty store
    first.put("a", "1")
    first.save()
    second.put("b", "2")
    second.save()
    assert cache.Store("demo").get("a") == "1" and cache.Store("demo").get("b") == "2"


@pytest.mark.parametrize("content", [b"{not json", b'["a list"]', b'{"a": 1}', b"\xff\xfe"])
def test_a_damaged_store_is_ignored_and_replaced(cache_folder, content):
    cache_folder.mkdir()
    (cache_folder / "demo.json").write_bytes(content)
    store = cache.Store("demo")
    assert store.get("a") is None
    store.put("a", "alpha")
    store.save()
    assert cache.Store("demo").get("a") == "alpha"


def test_an_unwritable_folder_or_an_empty_setting_keeps_nothing_and_fails_nothing(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", str(blocker / "cache"))
    store = cache.Store("demo")
    store.put("a", "alpha")
    store.save()  # no error
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", "")
    assert cache.folder() is None
    store = cache.Store("demo")
    store.put("a", "alpha")
    store.save()
    assert store.get("a") == "alpha"  # still a cache within the run


def test_the_next_build_takes_every_conversion_from_the_store_and_writes_the_same_bytes(cache_folder, tmp_path, monkeypatch):
    bank = make_small_bank(tmp_path / "bank")
    (tmp_path / "exam.toml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")

    def build(out: Path) -> dict[str, bytes]:
        command = ["--bank", str(bank), "exam", "build", str(tmp_path / "exam.toml"), "--out", str(out), "--roster", str(tmp_path / "roster.csv"), "--jobs", "1"]
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, result.output
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    first = build(tmp_path / "first")
    stores = list(cache_folder.glob("tex2typst-*.json"))
    assert len(stores) == 1 and len(json.loads(stores[0].read_text(encoding="utf-8"))) > 20

    forget_conversions()
    import tex2typst

    def no_conversion(tex, **options):
        raise AssertionError(f"converted again: {tex}")

    monkeypatch.setattr(tex2typst, "tex2typst", no_conversion)
    assert build(tmp_path / "second") == first

    monkeypatch.undo()
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", "")
    forget_conversions()
    assert build(tmp_path / "uncached") == first


def test_compiled_output_templates_are_kept_and_a_damaged_one_is_compiled_again(cache_folder):
    from quizgen.exams import latex

    def fresh_render() -> str:
        latex.environment.cache_clear()  # as in a new run
        return latex.environment().get_template("key.tex.j2").render(exam=EXAM, paper=PAPER, questions=[])

    first = fresh_render()
    kept = sorted((cache_folder / "jinja").iterdir())
    assert kept, "the compiled templates are kept"
    assert fresh_render() == first
    import jinja2.bccache

    for entry in kept:
        entry.write_bytes(jinja2.bccache.bc_magic + b"damaged")  # Jinja's own header, then garbage
    assert fresh_render() == first
    latex.environment.cache_clear()


def test_compiled_templates_that_cannot_be_kept_fail_nothing(tmp_path, monkeypatch):
    from quizgen.exams import latex

    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("QUIZGEN_CACHE_DIR", str(blocker / "cache"))
    latex.environment.cache_clear()
    assert r"\begin{document}" in latex.environment().get_template("key.tex.j2").render(exam=EXAM, paper=PAPER, questions=[])
    latex.environment.cache_clear()


EXAM = {"title": "T", "course": "C", "date": "2026-01-01", "duration": "1 hour", "instructions": [], "total_points": 0, "id_digits": 8}
PAPER = {"kind": "version", "key": "A", "name": None, "heading": "Version A", "seed": 1}


def test_a_bank_loads_the_same_from_its_cached_texts(cache_folder, monkeypatch):
    """The second load takes each text's check and compiled code from the cache: the same questions, byte for byte."""
    from quizgen.engine.bank import load_bank
    from quizgen.engine.generate import generate
    from quizgen.formats.records import variant_record

    def questions() -> str:
        bank = load_bank()
        return json.dumps([variant_record(v) for t in sorted(bank.templates) for v in generate(bank.get(t), 1, 3)], sort_keys=True, default=str)

    first = questions()
    assert (cache_folder / "jinja").is_dir() and list(cache_folder.glob("text-names-*.json"))
    monkeypatch.setattr(template, "_TEXT_NAMES", cache.Store(template._TEXT_NAMES.name))  # a new run reads the store again

    def no_compiling(*arguments, **options):
        raise AssertionError("a cached text was compiled again")

    monkeypatch.setattr(template._TEXT_ENV, "compile", no_compiling)
    assert questions() == first


@pytest.mark.parametrize("name", ["text_include_attack.yaml", "text_attribute_attack.yaml", "text_unknown_variable.yaml"])
def test_a_text_that_fails_its_check_is_checked_again_on_every_load(cache_folder, name):
    from quizgen.engine.template import load_template
    from quizgen.errors import BankError

    path = Path(__file__).parent / "data" / "bad" / name
    messages = []
    for _ in range(2):
        with pytest.raises(BankError) as caught:
            load_template(path)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_environments_with_other_settings_never_share_compiled_code(cache_folder):
    """Jinja keys its cache by template name and source only; quizgen's key adds the settings that shape the code."""
    import jinja2

    source = "{% if x %}\nyes{% endif %}|{{ x }}"
    outputs = []
    for trim_blocks in (False, True, False):
        env = jinja2.Environment(loader=jinja2.DictLoader({"t": source}), trim_blocks=trim_blocks, bytecode_cache=cache.jinja_bytecode_cache())
        outputs.append(env.get_template("t").render(x=1))
    assert outputs == ["\nyes|1", "yes|1", "\nyes|1"]
    assert len(list((cache_folder / "jinja").iterdir())) == 2

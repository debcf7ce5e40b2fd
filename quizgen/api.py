"""quizgen's Python API: what the command line does, as plain calls for notebooks and build scripts.

Each function is a thin call into the engine, the formats and the exams, the same calls
the ``quizgen`` command makes, so a script and the command give the same bytes for the
same bank, seed and options. Heavy modules (sympy, Typst) are imported inside the calls:
``import quizgen`` stays cheap. Errors are ``quizgen.errors.QuizgenError`` with the
one-line message the command prints. docs/api.md shows each call at work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

if TYPE_CHECKING:
    from .engine.bank import Bank
    from .engine.generate import Variant
    from .engine.template import Template
    from .formats.gift import GiftExport
    from .formats.moodle import ExportItem, MoodleExport
    from .formats.qti import QtiExport

Progress = Callable[[int], Any]  # called with the number of units just finished


def load_bank(path: str | Path | None = None) -> Bank:
    """The question bank in ``path`` (a folder of ``<topic>/<slug>.yaml``), or the shipped bank.

    The first file that does not load raises a BankError naming the file and field.
    """
    from .engine.bank import load_bank as load

    return load(Path(path) if path is not None else None)


def _bank(bank: Bank | str | Path | None) -> Bank:
    from .engine.bank import Bank

    return bank if isinstance(bank, Bank) else load_bank(bank)


def _template(template: Template | str, bank: Bank | str | Path | None) -> Template:
    from .engine.template import Template

    return template if isinstance(template, Template) else _bank(bank).get(template)


def generate(template: Template | str, count: int = 1, *, seed: int = 0, nice: bool = False, bank: Bank | str | Path | None = None) -> list[Variant]:
    """``count`` distinct variants of one template, the same list for the same seed.

    ``template`` is an id (``"cnn.conv_output_size"``) or a Template of a loaded bank;
    ``nice`` asks for variants workable without a calculator. Too many asked of a small
    template is a VariantError saying how many it can make.
    """
    from .engine.generate import check_seed
    from .engine.generate import generate as draw

    return list(draw(_template(template, bank), count, check_seed(seed), nice))


def variant(template: Template | str, code: str, *, bank: Bank | str | Path | None = None) -> Variant:
    """The variant a printed code names (``"7-0R"``): the key of a paper found again from its code."""
    from .engine.generate import make_variant, parse_code

    chosen = _template(template, bank)
    seed, index, nice = parse_code(chosen.id, code)
    return make_variant(chosen, seed, index, nice)


def solve(template: Template | str, values: Mapping[str, Any], *, bank: Bank | str | Path | None = None) -> Variant:
    """The key and worked solution for drawn values you choose (check a hand-made question).

    Values are ints, ``fractions.Fraction``, decimal strings (``"0.1"`` is exactly 1/10),
    lists for vectors and matrices, a word for a choice of words, or a layer list of dicts.
    Floats are taken at their exact binary value: give ``"0.1"``, not ``0.1``, for a tenth.
    Values that break a constraint still get a key; ``variant.warnings`` names the constraint.
    """
    from .engine.generate import solve as solve_exactly

    return solve_exactly(_template(template, bank), {name: _given(name, value) for name, value in values.items()})


def read_value(name: str, text: str) -> Any:
    """A value as typed (``"0.1"``, ``"1/4"``, ``"[0.1, 0.2]"``, ``"[[1, 2], [3, 4]]"``), read with the
    templates' own whitelist into exact numbers; a bare word (``"relu"``) stays a word."""
    from .engine.expressions import parse
    from .engine.generate import shorten
    from .engine.values import check_size
    from .errors import ExpressionError, QuizgenError

    try:
        return check_size(parse(text, names=set()).evaluate({}))
    except ExpressionError as error:
        if text.isidentifier():
            return text
        raise QuizgenError(f"--set {name}={shorten(text)}: {shorten(str(error), 200)}") from None
    except (ValueError, ZeroDivisionError, TypeError, ArithmeticError, AttributeError, RecursionError) as error:
        raise QuizgenError(f"--set {name}={shorten(text)}: {shorten(str(error), 200) or 'cannot be computed'}") from None


def _given(name: str, value: Any) -> Any:
    """Strings in a value read as :func:`read_value` reads them; layer dicts and the rest as they are."""
    if isinstance(value, str):
        return read_value(name, value)
    if isinstance(value, (list, tuple)) and not any(isinstance(v, dict) for v in value):
        return [_given(name, v) for v in value]
    return value


def variant_record(variant: Variant, *, steps: bool = True) -> dict[str, Any]:
    """The variant as the JSON record of docs/json.md (a dict), with or without the worked steps."""
    from .formats.records import variant_record as record

    return record(variant, steps=steps)


def render_text(variant: Variant, *, answers: bool = True) -> str:
    """The variant as terminal text, as ``quizgen show`` prints it (answers and solution optional)."""
    from .engine.figures import variant_figures
    from .formats.records import variant_record as record
    from .formats.render import render_text as render

    return render(record(variant), show_answers=answers, figures=variant_figures(variant))


# ---------------------------------------------------------------------------
# Exports: Moodle XML, GIFT, the self-test page


def export_items(bank: Bank, templates: Iterable[Template | str] = (), topic: str | None = None, exam: str | Path | None = None) -> tuple[list[ExportItem], int | None]:
    """What an export holds, and the exam's seed: the exam's templates (with their section's
    points), the templates named, a topic's, or the whole bank when nothing is named."""
    from .engine.template import Template
    from .errors import QuizgenError
    from .formats.moodle import ExportItem

    named = list(templates)
    if exam is not None:
        if named or topic:
            raise QuizgenError("give --exam, or template ids / --topic, not both")
        from .exams.spec import load_spec

        spec = load_spec(Path(exam), bank)
        items: dict[str, ExportItem] = {}
        for section in spec.sections:
            for template_id in section.pool:
                items.setdefault(template_id, ExportItem(bank.get(template_id), float(section.points), section.nice))
        return list(items.values()), spec.seed
    if named and topic:
        raise QuizgenError("give template ids or --topic, not both")
    if topic:
        chosen = bank.by_topic(topic)
    elif named:
        chosen = [t if isinstance(t, Template) else bank.get(t) for t in named]
    else:
        chosen = [t for _, t in sorted(bank.templates.items())]
    return [ExportItem(t) for t in chosen], None


def _started(on_start: Callable[[int], Any] | None, total: int) -> None:
    if on_start is not None:
        on_start(total)


def _ticker(progress: Progress | None) -> Callable[[], None] | None:
    return None if progress is None else (lambda: progress(1))


def _write_text(output: str | Path | None, text: str) -> None:
    from .outputs import atomic_writer

    if output is not None:
        with atomic_writer(Path(output)) as stream:
            stream.write(text)


def _check_folder(output: str | Path | None) -> None:
    """A missing output folder is an error before any work, not after it."""
    from .errors import QuizgenError

    if output is None:
        return
    folder = Path(output).parent if str(Path(output).parent) else Path(".")
    if not folder.is_dir():
        raise QuizgenError(f"{output}: folder {folder} does not exist")


def _prepare_export(bank, templates, topic, exam, variants: int, seed: int | None, output, on_start) -> tuple[list[ExportItem], int]:
    """The items and seed of a Moodle, GIFT or QTI export, its output folder checked, the progress bar told its length."""
    from .engine.generate import check_seed

    items, exam_seed = export_items(_bank(bank), templates, topic, exam)
    _check_folder(output)
    _started(on_start, len(items) * variants)
    return items, check_seed(seed if seed is not None else (exam_seed or 0))


def export_moodle(
    templates: Iterable[Template | str] = (), *, topic: str | None = None, exam: str | Path | None = None,
    variants: int = 10, seed: int | None = None, allow_fewer: bool = False, penalty: float | None = None,
    output: str | Path | None = None, bank: Bank | str | Path | None = None,
    progress: Progress | None = None, on_start: Callable[[int], Any] | None = None,
) -> MoodleExport:
    """Moodle XML: one category per template holding ``variants`` distinct variants.

    With ``exam`` (a spec file) every template the exam can draw, worth its section's points,
    and the exam's seed unless ``seed`` is given. ``output`` writes the file atomically; the
    result holds the XML text and each category (``shortfall`` when ``allow_fewer`` let a
    template give fewer than asked). ``on_start`` hears the number of variants to make, then
    ``progress`` each one made.
    """
    from .formats.moodle import DEFAULT_PENALTY
    from .formats.moodle import export_moodle as export

    items, seed = _prepare_export(bank, templates, topic, exam, variants, seed, output, on_start)
    result = export(items, variants, seed, DEFAULT_PENALTY if penalty is None else penalty, allow_fewer, _ticker(progress))
    _write_text(output, result.text)
    return result


def export_gift(
    templates: Iterable[Template | str] = (), *, topic: str | None = None, exam: str | Path | None = None,
    variants: int = 10, seed: int | None = None, allow_fewer: bool = False,
    output: str | Path | None = None, bank: Bank | str | Path | None = None,
    progress: Progress | None = None, on_start: Callable[[int], Any] | None = None,
) -> GiftExport:
    """The same questions as :func:`export_moodle` in Moodle's GIFT text, where GIFT can express them
    (``skipped`` counts the multi-part questions it cannot)."""
    from .formats.gift import export_gift as export

    items, seed = _prepare_export(bank, templates, topic, exam, variants, seed, output, on_start)
    result = export(items, variants, seed, allow_fewer=allow_fewer, progress=_ticker(progress))
    _write_text(output, result.text)
    return result


def export_qti(
    templates: Iterable[Template | str] = (), *, topic: str | None = None, exam: str | Path | None = None,
    variants: int = 10, seed: int | None = None, flavour: str = "qti21", allow_fewer: bool = False,
    output: str | Path | None = None, bank: Bank | str | Path | None = None,
    progress: Progress | None = None, on_start: Callable[[int], Any] | None = None,
) -> QtiExport:
    """The same questions as :func:`export_moodle` as a QTI zip for other LMSs: ``flavour`` is
    ``"qti21"`` or ``"qti30"`` (an IMS content package: one item per variant, a test with one
    section per template that selects one) or ``"canvas"`` (Canvas's QTI 1.2: one question group
    per template). Every file is validated before the zip is written (atomically, to ``output``);
    the result holds the zip's bytes, each template's pool and ``notes``, what the flavour loses."""
    from .formats.qti import check_flavour
    from .formats.qti import export_qti as export

    check_flavour(flavour)
    items, seed = _prepare_export(bank, templates, topic, exam, variants, seed, output, on_start)
    result = export(items, variants, seed, flavour, allow_fewer, _ticker(progress))
    if output is not None:
        from .outputs import atomic_write_bytes

        atomic_write_bytes(Path(output), result.data)
    return result


@dataclass
class HtmlExport:
    """The self-test page and what it holds."""

    text: str
    questions: int
    shortfalls: dict[str, str] = field(default_factory=dict)  # template id -> why it has fewer variants than asked


def export_html(
    templates: Iterable[Template | str] = (), *, topic: str | None = None, exam: str | Path | None = None,
    variants: int = 5, seed: int = 0, title: str = "Self-test",
    output: str | Path | None = None, bank: Bank | str | Path | None = None,
    progress: Progress | None = None, on_start: Callable[[int], Any] | None = None,
) -> HtmlExport:
    """An offline self-test page: each question marks answers by the exports' rule, names the
    probable mistake and shows the worked solution; ``variants`` per question in its pool.
    A template that cannot make that many gives what it can (``shortfalls`` says so)."""
    from .engine.generate import check_seed
    from .engine.generate import generate as draw
    from .errors import VariantError
    from .formats.selftest import render_selftest

    loaded = _bank(bank)
    chosen = [item.template for item in export_items(loaded, templates, topic, exam)[0]]
    _check_folder(output)
    seed = check_seed(seed)
    _started(on_start, len(chosen))
    pools: list[list[Variant]] = []
    shortfalls: dict[str, str] = {}
    for template in chosen:
        pool: list[Variant] = []
        try:
            pool.extend(draw(template, variants, seed))
        except VariantError as error:
            if not pool:
                raise
            shortfalls[template.id] = f"only {len(pool)} distinct variants in the page ({error})"
        pools.append(pool)
        if progress is not None:
            progress(1)
    page = render_selftest(pools, seed=seed, title=title, bank_fingerprint=loaded.fingerprint)
    _write_text(output, page)
    return HtmlExport(page, len(chosen), shortfalls)


# ---------------------------------------------------------------------------
# Exams


_MOODLE_FILE = "moodle.xml"  # an exam build's Moodle question bank, beside its papers (--moodle N)


def build_exam(
    spec: str | Path, out: str | Path, *, versions: int | None = None, roster: str | Path | None = None,
    seed: int | None = None, shard: tuple[int, int] | None = None, latex_pdf: bool = False, jobs: int | None = None,
    moodle: int | None = None, bank: Bank | str | Path | None = None, progress: Progress | None = None,
    on_start: Callable[[int], Any] | None = None, sheets: bool = False, force: bool = False, writes_moodle: bool = False,
) -> dict[str, Any]:
    """Papers and answer keys (PDF via Typst, LaTeX sources) and ``manifest.json`` in ``out``.

    ``versions`` (A, B, ...) or ``roster`` (a CSV with an ``id`` column: one paper per
    student) override the spec's; ``shard=(K, N)`` builds the K-th of N slices;
    ``moodle=N`` also writes ``moodle.xml`` with N variants per template; ``sheets=True`` (or the spec's
    ``sheets = true``) prints answer sheets a scanner can read (corner marks, a QR code per page, digit grids). Returns the
    manifest: seed, bank fingerprint, and every paper's variant codes and answers.
    A folder holding another build is refused unless ``force`` (which removes that build's files,
    its ``moodle.xml`` too). ``writes_moodle``: the caller writes ``moodle.xml`` itself, after the build.
    ``on_start`` hears how many papers will be built before the first one is (a progress bar's
    length); ``progress`` hears each paper finished. An error leaves no manifest.
    """
    from .engine.generate import check_seed
    from .exams.build import build_exam as build
    from .exams.build import papers_for
    from .exams.spec import load_spec
    from .exams.spec import shard as slice_of

    loaded = _bank(bank)
    exam = load_spec(Path(spec), loaded)
    mode, papers = papers_for(exam, versions, Path(roster) if roster is not None else None)
    seed = check_seed(seed if seed is not None else exam.seed)
    _started(on_start, len(slice_of(papers, *shard) if shard else papers))
    beside = {"moodle": _MOODLE_FILE} if moodle is not None or writes_moodle else None  # recorded, so that --force removes it too
    manifest = build(exam, loaded, papers, Path(out), seed, mode, shard, latex_pdf, jobs, progress=progress, sheets=sheets or exam.sheets, force=force,
                     beside=beside)
    if moodle is not None:
        export_moodle(exam=spec, variants=moodle, seed=seed, allow_fewer=True, output=Path(out) / _MOODLE_FILE, bank=loaded)
    return manifest


def mark_exam(
    build: str | Path, scans: list[str | Path], out: str | Path, *, corrections: str | Path | None = None, roster: str | Path | None = None,
    dpi: int = 200, jobs: int | None = None, bank: Bank | str | Path | None = None, progress: Progress | None = None,
    on_start: Callable[[int], Any] | None = None,
) -> Any:
    """Read scanned answer sheets of the build in ``build`` and mark them; write marks, grades, review and annotated copies to ``out``.

    ``scans``: PDFs or images (PNG, JPEG, TIFF), any order. ``corrections``: review.csv with
    its value column filled in. ``roster``: a CSV of students that a version sheet's ID
    grid is matched to. ``on_start`` hears the number of pages; ``progress`` each page read.
    Returns a summary: sheets, pages, page problems, marks to review, and each sheet's result.
    """
    from .marking.scan_results import mark_exam as mark

    return mark(Path(build), [Path(s) for s in scans], Path(out), _bank(bank), Path(corrections) if corrections else None,
                Path(roster) if roster else None, dpi, jobs, on_start, progress)


def grade(
    build: str | Path, answers: str | Path, out: str | Path, *, overrides: str | Path | None = None, bank: Bank | str | Path | None = None,
    progress: Progress | None = None, on_start: Callable[[int], Any] | None = None,
) -> Any:
    """Grade ``answers`` (exam mark's marks.csv, or a typed-answers CSV) against the build in ``build``; write the report to ``out``.

    ``out`` gets grades.csv, items.csv, mistakes.csv, problems.csv and report.html
    (docs/grading.md). ``overrides``: a CSV of (student, question, points) applied on top.
    ``on_start`` hears the number of rows of a typed-answers CSV; ``progress`` each student marked.
    Returns the analysis: ``.test`` (mean, sd, alpha, sem), ``.items``, ``.grading.students`` and ``.grading.problems``.
    """
    from .marking.grade import grade_answers
    from .marking.grade_report import write_report

    chosen = _bank(bank)
    grading = grade_answers(Path(build), Path(answers), chosen, Path(overrides) if overrides else None, on_start, progress)
    return write_report(Path(out), grading, chosen)


def answers_template(build: str | Path) -> str:
    """The empty typed-answers CSV of a build (its header, and a row per roster paper): fill it in for ``grade``."""
    from .marking.grade import answers_template as template
    from .marking.scans import load_build

    return template(load_build(Path(build), sheets=False))


__all__ = [
    "HtmlExport", "answers_template", "build_exam", "export_gift", "export_html", "export_items", "export_moodle", "export_qti", "generate",
    "grade", "load_bank", "mark_exam", "read_value", "render_text", "solve", "variant", "variant_record",
]

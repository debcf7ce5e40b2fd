"""TeX math to Typst math: every math snippet of the bank converts and compiles, and a paper and key
holding every template of the bank typeset with Typst."""

from __future__ import annotations

import json
import re

import pytest
import typst
from exam_support import pdf_pages

from quizgen.engine.generate import generate
from quizgen.exams.papers import _MATRIX, _SUMMARY_FITS, answer_width, render_pdf, typst_json
from quizgen.exams.spec import PaperKey, load_spec, paper_document
from quizgen.exams.texmath import convert_as_written, tex_to_typst
from quizgen.formats import prose
from quizgen.formats.records import variant_record

VARIANTS = 3  # per template: numbers change the shape of matrices, signs and sums


@pytest.fixture(scope="module")
def snippets(bank) -> dict[str, str]:
    """Every math snippet the bank's variants show, mapped to where it comes from."""
    found: dict[str, str] = {}

    def add(tex: str, where: str) -> None:
        if tex.strip():
            found.setdefault(tex, where)

    def add_prose(text: str | None, where: str) -> None:
        for paragraph in prose.paragraphs(text):
            for kind, body in paragraph:
                if kind != "text":
                    add(body, where)

    def add_label(text: str | None, where: str) -> None:
        for kind, body in prose.label(text):
            if kind == "math":
                add(body, where)

    for template_id, template in sorted(bank.templates.items()):
        for variant in generate(template, min(VARIANTS, template.min_variants or VARIANTS), seed=0):
            record = variant_record(variant)
            where = f"{template_id} {record['code']}"
            add_prose(record["text"], f"{where} text")
            add_prose(record.get("solution"), f"{where} solution")
            for step in record["steps"]:
                add(step["tex"], f"{where} step '{step['label']}'")
                add_label(step["label"], f"{where} step label")
                for _, piece in prose.step_shape(step["tex"])[1]:
                    add(piece, f"{where} step piece")
            for option in record["options"]:
                add(option["tex"], f"{where} option {option['label']}")
            for mistake in record["mistakes"]:
                add_prose(mistake["feedback"], f"{where} mistake {mistake['name']}")
                add_label(mistake["label"], f"{where} mistake label")
            for answer in record["answers"]:
                add_label(answer["label"], f"{where} answer label")
                if answer["kind"] not in ("choice", "matching"):
                    add(prose.rounded_tex(answer["rounded"]), f"{where} answer")
    return found


def compile_math(codes: list[str]) -> None:
    """Typeset Typst math strings the way the exam template does (eval in math mode)."""
    source = '#let data = json(bytes(sys.inputs.data))\n#for code in data { math.equation(block: true, eval(code, mode: "math")) }\n'
    typst.compile(source.encode(), format="pdf", sys_inputs={"data": json.dumps(codes)}, ignore_system_fonts=True)


def test_every_math_snippet_of_the_bank_converts_and_compiles(snippets):
    assert len(snippets) > 200
    converted = {tex: tex_to_typst(tex) for tex in snippets}
    try:
        compile_math(list(converted.values()))
    except typst.TypstError:
        failing = []
        for tex, code in converted.items():
            try:
                compile_math([code])
            except typst.TypstError as error:
                failing.append(f"{snippets[tex]}: {tex!r} -> {code!r}: {error.message}")
        pytest.fail("Typst cannot typeset:\n" + "\n".join(failing[:20]))


def test_number_placeholders_change_nothing(snippets):
    """The conversion is cached on the shape (numbers, bracketed numbers and matrices of numbers
    swapped for placeholders) and split at top-level separators: same result as converting directly."""
    # Spacing that typesets alike: '- 0.5' and '-0.5', '- y' and '-y' (tex2typst spaces a minus
    # sign by what follows it); '"text" ,' is what tex2typst writes for a comma after text in a
    # whole snippet, and '"text",' in a piece.
    loose = re.compile(r"(?<=-) | (?=,)")
    different = []
    for tex, where in snippets.items():
        direct = convert_as_written(tex)
        if loose.sub("", direct) != loose.sub("", tex_to_typst(tex)):
            different.append(f"{where}: {tex!r}")
    assert not different, "\n".join(different[:20])


def test_answers_not_marked_wide_fit_the_key_summary_unmeasured(snippets, tmp_path):
    """The key's summary measures (and shrinks) only answers marked wide: every other vector or matrix
    answer of the bank must fit the summary's narrowest answer column (~5.3 cm, with the bank's
    longest template id beside it) as typeset: 11 pt, display style."""
    matrices = sorted({code for code in map(tex_to_typst, snippets) if _MATRIX.fullmatch(code)})  # answers, and more
    unmarked = [code for code in matrices if answer_width(code) <= _SUMMARY_FITS]
    assert len(unmarked) > 20
    source = (
        '#set text(font: "New Computer Modern", size: 11pt)\n#let data = json(bytes(sys.inputs.data))\n'
        '#context for code in data { [#measure(math.equation(math.display(eval(code, mode: "math")))).width.cm() \\ ] }\n'
    )
    (tmp_path / "widths.pdf").write_bytes(typst.compile(source.encode(), format="pdf", sys_inputs={"data": json.dumps(unmarked)}, ignore_system_fonts=True))
    widths = [float(w) for w in re.findall(r"\d+\.\d+", " ".join(pdf_pages(tmp_path / "widths.pdf")))]
    assert len(widths) == len(unmarked)
    too_wide = [(code, round(width, 2)) for code, width in zip(unmarked, widths) if width > 4.8]
    assert not too_wide, too_wide


@pytest.mark.parametrize(
    "tex, wanted, unwanted",
    [
        (r"\lVert x \rVert_2", "norm(x)", "lVert"),
        (r"\left\lVert w \right\rVert", "norm(w)", "lVert"),
        (r"\sum\limits_{i=1}^{n} x_i", "sum_(i = 1)^n", "limits"),
        (r"\begin{array}{rl} a & b \\ \hline 1 & 2 \end{array}", "mat(", "hline"),
        (r"e^{-0.5} + {-0.25}^{2} + \frac{-1}{2}", "e^(-0.5)", "e^-0.5"),
        (r"x = {\begin{bmatrix} -1 & 0.5 \\ 2 & -3 \end{bmatrix}}", 'mat(delim: "[", -1, 0.5; 2, -3)', None),
        (r"H_{out} = \left\lfloor \frac{32 - 3 + 2 \cdot 1}{1} \right\rfloor + 1 = 32", "floor((32 - 3 + 2 dot.op 1)/1) + 1 = 32", None),
    ],
)
def test_known_gaps_of_tex2typst_are_fixed(tex, wanted, unwanted):
    code = tex_to_typst(tex)
    assert wanted in code, code
    if unwanted:
        assert unwanted not in code, code
    compile_math([code])


def test_a_paper_and_key_with_every_template_of_the_bank(bank, tmp_path):
    sections = "\n".join(f'[[sections]]\ntemplate = "{template_id}"\npoints = 1\n' for template_id in sorted(bank.templates))
    spec_path = tmp_path / "everything.toml"
    spec_path.write_text(f'title = "Every template"\ncourse = "DNN"\ndate = "2026-01-01"\nduration = 600\nseed = 3\n{sections}', encoding="utf-8")
    spec = load_spec(spec_path, bank)
    document = paper_document(spec, bank, PaperKey("version", "A"))
    for mode in ("paper", "key"):
        pdf = tmp_path / f"{mode}.pdf"
        pdf.write_bytes(render_pdf(document, mode, spec.day))
        pages = pdf_pages(pdf)
        text = "\n".join(pages)
        assert len(pages) >= len(bank.templates) // 6
        for question in document["questions"]:
            assert question["code"] in text
        assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    # The paper's data holds no answer (Typst never sees one), the key's holds them all.
    paper_data, key_data = typst_json(document, "paper"), typst_json(document, "key")
    for field in ('"correct"', '"tolerance"', '"mistake_label"', '"steps"', '"mistakes"'):
        assert field not in paper_data and field in key_data, field
    assert '"rounded"' not in paper_data
    matchings = [q["matching"] for q in json.loads(paper_data)["questions"] if q["matching"]]
    assert matchings and all("key" not in m for m in matchings)

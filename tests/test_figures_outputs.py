"""Figures in the outputs that cannot take the SVG as it is: Canvas's QTI 1.2, GIFT, and the terminal.

Each test reads the output back as its reader would: the Canvas zip's manifest, items and
files; the GIFT text as Moodle's GIFT reader unescapes it; the terminal text line by line.
"""

from __future__ import annotations

import io
import zipfile
from urllib.parse import unquote

import pytest
from lxml import etree
from lxml import html as lxml_html

import quizgen
from quizgen.engine.figures import variant_figures
from quizgen.formats.figures import figure_svg
from quizgen.formats.moodle import ExportItem
from quizgen.formats.qti import export_qti

QTI12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
IMSCC = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
SEED = 4
FIGURED = ("binary.sigmoid", "multiclass.softmax", "cnn.conv_output_size", "optimisers.momentum_two_steps")


@pytest.fixture(scope="module")
def bank():
    return quizgen.load_bank()


def _variants(bank, template_id: str, count: int = 2) -> dict[str, object]:
    return {variant.code: variant for variant in quizgen.generate(bank.get(template_id), count, seed=SEED)}


# ---------------------------------------------------------------------------
# Canvas (QTI 1.2)


@pytest.fixture(scope="module")
def canvas(bank):
    """The Canvas zip of a few templates with figures and one without: (files by name, manifest, assessment)."""
    items = [ExportItem(bank.get(t)) for t in (*FIGURED, "cnn.conv_params")]
    archive = zipfile.ZipFile(io.BytesIO(export_qti(items, 2, SEED, "canvas").data))
    files = {name: archive.read(name) for name in archive.namelist()}
    (assessment,) = [n for n in files if n.count("/") == 1 and n.endswith(".xml") and not n.endswith("assessment_meta.xml") and not n.startswith("media/")]
    return files, etree.fromstring(files["imsmanifest.xml"]), etree.fromstring(files[assessment])


def _images(mattext: str | None) -> list[etree._Element]:
    if not mattext:
        return []
    return list(lxml_html.fragment_fromstring(mattext, create_parent="div").iter("img"))


def test_canvas_packs_each_figure_as_a_file_listed_in_the_manifest_and_shown_from_the_item(bank, canvas):
    files, manifest, assessment = canvas
    webcontent = {}
    for resource in manifest.iter(f"{IMSCC}resource"):
        if resource.get("type") == "webcontent":
            (file,) = resource.findall(f"{IMSCC}file")
            assert file.get("href") == resource.get("href")
            webcontent[file.get("href")] = resource
    media = {name for name in files if name.startswith("media/")}
    assert media and set(webcontent) == media  # every figure file is a resource of its own, and nothing else is
    variants = {t: _variants(bank, t) for t in (*FIGURED, "cnn.conv_params")}
    shown = set()
    for item in assessment.iter(f"{QTI12}item"):
        fields = {f.findtext(f"{QTI12}fieldlabel"): f.findtext(f"{QTI12}fieldentry") for f in item.iter(f"{QTI12}qtimetadatafield")}
        variant = variants[fields["quizgen_template"]][fields["quizgen_variant"]]
        question = _images(item.findtext(f"{QTI12}presentation/{QTI12}material/{QTI12}mattext"))
        solution = _images(item.findtext(f"{QTI12}itemfeedback[@ident='general_fb']/{QTI12}flow_mat/{QTI12}material/{QTI12}mattext"))
        for images, part in ((question, "question"), (solution, "solution")):
            figures = variant_figures(variant, part)
            assert len(images) == len(figures), (fields["quizgen_template"], part)
            for image, figure in zip(images, figures):
                source = image.get("src")
                assert source.startswith("$IMS-CC-FILEBASE$/")  # Canvas's LinkParser resolves it to the course file at that path
                path = unquote(source.removeprefix("$IMS-CC-FILEBASE$/"))
                assert path in media and files[path].decode() == figure_svg(figure, part)
                assert image.get("alt") == figure.alt and int(image.get("width")) > 0
                shown.add(path)
    assert shown == media  # each file is shown by the item it belongs to, none is left over


def test_canvas_alt_text_and_caption_carry_the_variants_numbers(bank, canvas):
    _, _, assessment = canvas
    variants = _variants(bank, "binary.sigmoid")
    checked = 0
    for item in assessment.iter(f"{QTI12}item"):
        fields = {f.findtext(f"{QTI12}fieldlabel"): f.findtext(f"{QTI12}fieldentry") for f in item.iter(f"{QTI12}qtimetadatafield")}
        if fields["quizgen_template"] != "binary.sigmoid":
            continue
        variant = variants[fields["quizgen_variant"]]
        z = quizgen.variant_record(variant, steps=False)["parameters"]["z"]["display"]
        mattext = item.findtext(f"{QTI12}presentation/{QTI12}material/{QTI12}mattext")
        (image,) = _images(mattext)
        assert f"z = {z}" in image.get("alt")
        (figure,) = variant_figures(variant, "question")
        assert figure.caption in lxml_html.fragment_fromstring(mattext, create_parent="div").text_content()
        checked += 1
    assert checked == 2


def test_a_canvas_figure_that_is_missing_or_unlisted_is_refused():
    from quizgen.errors import RenderError
    from quizgen.formats.qti_canvas import build_manifest, check_media

    assessment = etree.fromstring(
        f'<questestinterop xmlns="{QTI12[1:-1]}"><item><presentation><material><mattext texttype="text/html">'
        '&lt;img src="$IMS-CC-FILEBASE$/media/a.svg" alt="a"/&gt;</mattext></material></presentation></item></questestinterop>'
    )
    data = etree.tostring(assessment)
    listed = etree.tostring(build_manifest("M", "q/q.xml", "q/meta.xml", ["media/a.svg"]))
    check_media(data, listed, {"imsmanifest.xml", "media/a.svg"})
    with pytest.raises(RenderError, match="not in the package"):
        check_media(data, listed, {"imsmanifest.xml"})
    with pytest.raises(RenderError, match="does not list"):
        check_media(data, etree.tostring(build_manifest("M", "q/q.xml", "q/meta.xml")), {"imsmanifest.xml", "media/a.svg"})
    with pytest.raises(RenderError, match="no question shows it"):
        check_media(data, listed, {"imsmanifest.xml", "media/a.svg", "media/b.svg"})


def test_the_canvas_zip_with_figures_is_the_same_bytes_for_the_same_seed(bank):
    items = [ExportItem(bank.get(t)) for t in FIGURED]
    assert export_qti(items, 2, SEED, "canvas").data == export_qti(items, 2, SEED, "canvas").data


# ---------------------------------------------------------------------------
# The terminal: figures drawn as text (quizgen.formats.figures_text)


def _figured_templates(bank) -> list[str]:
    return sorted(t for t, template in bank.templates.items() if template.figures)


def _number_texts(lines: list[str]) -> str:
    return "\n".join(lines)


@pytest.mark.parametrize("width", [80, 50, 30])
def test_every_bank_figure_fits_the_width_and_shows_its_numbers(bank, width):
    from quizgen.formats.figures_text import HIDDEN, figure_lines
    from quizgen.formats.plain import text_width

    kinds = set()
    for template_id in _figured_templates(bank):
        for variant in quizgen.generate(bank.get(template_id), 2, seed=SEED):
            for part in ("question", "solution"):
                for figure in variant_figures(variant, part):
                    lines = figure_lines(figure, part, width)
                    assert lines == figure_lines(figure, part, width)  # deterministic
                    assert all(text_width(line) <= width for line in lines), (template_id, part, [line for line in lines if text_width(line) > width])
                    text, data, solution = _number_texts(lines), figure.data, part == "solution"
                    flat = " ".join(text.split())  # a long line may be wrapped: read the words in order
                    kinds.add(figure.kind)
                    if figure.kind == "conv_grid":
                        assert f"H × W = {data['input'][0]} × {data['input'][1]}" in flat
                        output = f"{data['output'][0]} × {data['output'][1]}" if solution else f"{HIDDEN} × {HIDDEN}"
                        assert f"H_out × W_out = {output}" in flat
                    elif figure.kind == "network":
                        for stage in data["stages"]:
                            assert (stage["params"] in text) == solution or stage["params"] in data["input"]
                            assert not solution or stage["shape"] in text
                        assert (data["total"] in text) == solution
                    elif figure.kind == "matrix_heatmap":
                        for label, row in zip(data["rows"], data["shown"]):
                            line = next(line for line in lines if line.strip().startswith(label))
                            assert all(value in line for value in row)
                    elif figure.kind == "bars":
                        for label, value in zip(data["labels"], data["shown"]):
                            assert any(line.strip().startswith(label) and line.endswith(" " + value) for line in lines)
                    elif figure.kind == "curve":
                        assert f"z = {data['z_shown']}" in flat and (data["f_shown"] in flat) == solution
                        assert text.count("●") == 2  # the marked point, and its legend
                    elif figure.kind == "trajectory":
                        shown = [v for point in data["shown"] for v in (point if isinstance(point, list) else [point])]
                        if solution:
                            assert all(value in text for value in shown)
                    assert figure.caption.split()[0] in text
    assert kinds == {"conv_grid", "network", "matrix_heatmap", "bars", "curve", "trajectory"}


def _small_grid(inputs: dict[str, str]):
    from quizgen.engine.generate import make_variant
    from quizgen.engine.template import build_template

    data = {
        "id": "cnn.figure_test", "title": "t", "topic": "cnn", "section": 6, "difficulty": 1, "kind": "numerical",
        "variables": [{"name": "N", "value": "7"}, {"name": "O", "value": "conv_output_size(N, 3, 1, 2)"}],
        "text": "N = {@N@}", "answers": [{"name": "O", "kind": "integer"}],
        "figures": [{"kind": "conv_grid", "inputs": inputs, "caption": "N is {@N@}", "alt": "A grid of {@N@}"}],
    }
    return make_variant(build_template(data, "t.yaml", None, None), 1, 0)


def test_a_small_conv_grid_is_drawn_cell_by_cell_with_the_padding_ring_and_the_kernel_window():
    from quizgen.formats.figures_text import figure_lines

    variant = _small_grid({"input": "N", "kernel": "3", "padding": "1", "stride": "2"})
    (figure,) = variant_figures(variant, "question")
    lines = figure_lines(figure, "question", 80, indent="")
    assert lines[:10] == [
        "input (padded)",
        "▣ ▣ ▣ ▒ ▒ ░ ░ ░ ░",
        "▣ ■ ■ ▒ ▒ · · · ░",
        "▣ ■ ■ ▒ ▒ · · · ░",
        "▒ ▒ ▒ · · · · · ░",
        "▒ ▒ ▒ · · · · · ░",
        "░ · · · · · · · ░",
        "░ · · · · · · · ░",
        "░ · · · · · · · ░",
        "░ ░ ░ ░ ░ ░ ░ ░ ░",
    ]
    assert "output H_out × W_out = ? × ?" in lines
    solution = figure_lines(figure, "solution", 80, indent="")
    assert "output H_out × W_out = 4 × 4" in solution and solution.count("○ ○ ○ ○") == 3 and "● ○ ○ ○" in solution
    dilated = figure_lines(variant_figures(_small_grid({"input": "7", "kernel": "3", "padding": "2", "dilation": "2"}), "question")[0], "question", 80, "")
    grid = dilated[1:12]
    assert sum(row.count("■") + row.count("▣") for row in grid) == 9  # the 3 × 3 taps, 2 cells apart
    assert grid[0].split()[:5] == ["▣", "□", "▣", "□", "▣"] and "taps span 5 × 5" in " ".join(dilated)


def test_show_and_the_text_export_draw_the_figures_and_the_solution_fills_them_in(bank):
    from click.testing import CliRunner

    from quizgen.cli import cli

    result = CliRunner().invoke(cli, ["show", "binary.sigmoid", "--seed", "3"])
    assert result.exit_code == 0, result.output
    question, _, solution = result.output.partition("Worked solution:")
    assert "● z = -3.85, σ(-3.85) = ?" in question and "Figure: The sigmoid with the logit z = -3.85 marked." in question
    assert "│" in question and "•" in question  # the curve, drawn
    assert "The figure of the question, filled in:" in solution and "σ(-3.85) = 0.0208" in solution
    assert "0.0208" not in question.split("Answer:")[0]
    hidden = CliRunner().invoke(cli, ["show", "binary.sigmoid", "--seed", "3", "--no-answer"])
    assert "σ(-3.85) = ?" in hidden.output and "0.0208" not in hidden.output


def test_a_record_without_its_resolved_figures_shows_each_by_caption_and_alt_text(bank):
    from quizgen.formats.render import render_text

    variant = quizgen.generate(bank.get("binary.sigmoid"), 1, seed=3)[0]
    text = " ".join(render_text(quizgen.variant_record(variant)).split())
    (figure,) = variant_figures(variant, "question")
    assert f"Figure: {figure.caption} ({figure.alt})" in text
    assert quizgen.render_text(variant) != text and "│" in quizgen.render_text(variant)


def test_practice_shows_the_question_figure_and_the_solution_figure(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from quizgen.cli import cli

    shipped = quizgen.load_bank().root
    (tmp_path / "multiclass").mkdir()
    (tmp_path / "multiclass" / "softmax.yaml").write_bytes((shipped / "multiclass" / "softmax.yaml").read_bytes())
    monkeypatch.setenv("QUIZGEN_BANK", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["practice", "--seed", "0", "-n", "1"], input="skip\nn\nquit\n")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    question, _, solution = result.output.partition("Worked solution:")
    assert "Figure: The 3 logits as bars." in question and "│█" in question
    assert "Figure: The softmax probabilities of the 3 classes." in solution and "│█" in solution


def test_a_vector_a_caption_shows_is_read_as_plain_text():
    from quizgen.formats.figures_text import plain_text

    assert plain_text(r"the weights w = \begin{bmatrix} -0.5 & 0.5 \end{bmatrix} marked") == "the weights w = [-0.5, 0.5] marked"
    assert plain_text("no maths, 3 × 3") == "no maths, 3 × 3"


def test_long_bar_labels_go_over_their_bars_and_nothing_passes_the_width():
    from quizgen.formats.figures_text import _fit, bars
    from quizgen.formats.plain import text_width

    data = {"values": [0.5, -0.25, 1.0], "shown": ["0.50", "-0.25", "1.00"], "labels": ["a rather long class name", "another long one", "x"], "axis": ""}
    for width in (28, 40, 80):
        lines = _fit(bars(data, True, width), width)
        assert all(text_width(line) <= width for line in lines)
        assert all(any(line.endswith(" " + value) for line in lines) for value in data["shown"])
    narrow = bars(data, True, 28)
    assert narrow[0] == "a rather long class name" and narrow[1].endswith("│████████ 0.50")

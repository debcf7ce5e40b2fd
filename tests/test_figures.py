"""Figures drawn from each variant's numbers: loading, resolution, SVG, and the numbers read back."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from quizgen.engine.figures import KINDS, variant_figures
from quizgen.engine.generate import make_variant, solve
from quizgen.engine.template import build_template, load_template
from quizgen.engine.values import format_number
from quizgen.errors import BankError
from quizgen.formats.figures import figure_svg

BANK = Path(__file__).resolve().parents[1] / "question_bank"
SVG = "{http://www.w3.org/2000/svg}"


def _template(template_id: str):
    return load_template(BANK / template_id.replace(".", "/", 1).__add__(".yaml"), BANK)


def _texts(svg: str, role: str) -> list[str]:
    root = etree.fromstring(svg.encode())
    return [element.text for element in root.iter(f"{SVG}text") if element.get("class") == role]


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+(?:\.\d+)?", text)


def _base(**extra):
    data = {
        "id": "cnn.figure_test", "title": "t", "topic": "cnn", "section": 6, "difficulty": 1, "kind": "numerical",
        "variables": [{"name": "N", "draw": "int(5, 9)"}, {"name": "O", "value": "conv_output_size(N, 3, 1, 1)"}],
        "text": "N = {@N@}", "answers": [{"name": "O", "kind": "integer"}],
    }
    data.update(extra)
    return data


GOOD = {"kind": "conv_grid", "inputs": {"input": "N", "kernel": "3", "padding": "1"}, "caption": "N is {@N@}", "alt": "A grid of {@N@}"}


def test_a_figure_entry_loads_and_resolves():
    template = build_template(_base(figures=[GOOD]), "t.yaml", None, None)
    variant = make_variant(template, 1, 0)
    (figure,) = variant_figures(variant)
    n = int(variant.env["N"])
    assert figure.caption == f"N is {n}" and figure.alt == f"A grid of {n}"
    assert figure.inputs == {"input": n, "kernel": 3, "padding": 1, "stride": 1, "dilation": 1, "mode": "conv"}
    assert figure.data["output"] == [n, n]


@pytest.mark.parametrize("entry, field, message", [
    ({**GOOD, "kind": "pie"}, "figures[0].kind", "not a figure kind"),
    ({**GOOD, "inputs": {"kernel": "3"}}, "figures[0].inputs.input", "missing required field"),
    ({**GOOD, "inputs": {**GOOD["inputs"], "colour": "1"}}, "figures[0].inputs.colour", "unknown field"),
    ({**GOOD, "inputs": {**GOOD["inputs"], "padding": "Q"}}, "figures[0].inputs.padding", "Q"),
    ({**GOOD, "inputs": {**GOOD["inputs"], "mode": "'mean'"}}, "figures[0].inputs.mode", "not one of"),
    ({**GOOD, "place": "margin"}, "figures[0].place", "not one of"),
    ({**GOOD, "alt": "{@ M @}"}, "figures[0].alt", "unknown variable"),
    ({k: v for k, v in GOOD.items() if k != "alt"}, "figures[0].alt", "missing required field"),
    ({**GOOD, "inputs": {**GOOD["inputs"], "input": "__import__('os')"}}, "figures[0].inputs.input", ""),
])
def test_a_bad_figure_entry_is_a_load_error_naming_the_field(entry, field, message):
    with pytest.raises(BankError) as error:
        build_template(_base(figures=[entry]), "bad.yaml", None, None)
    text = str(error.value)
    assert "bad.yaml" in text and field in text and message in text


def test_figures_must_be_a_list():
    with pytest.raises(BankError, match="figures"):
        build_template(_base(figures={"kind": "bars"}), "bad.yaml", None, None)


# ---------------------------------------------------------------------------
# The bank's figures show their variants' numbers (read back from the SVG)


def _fmt(value, decimals=None):
    return format_number(value, decimals)


def _check_conv(variant, svg, names):
    out = _numbers(_texts(svg, "out-size")[0])
    assert out == [_fmt(variant.env[n]) for n in names]


def _check_network(variant, svg):
    table = variant.env["table"]
    shapes, params = _texts(svg, "shape"), _texts(svg, "params")
    assert len(shapes) == len(params) == table.shape[0]
    for row, shape, count in zip(table, shapes, params):
        expected = [str(int(v)) for v in row[:3]]
        numbers = _numbers(shape)
        assert numbers == (expected if len(numbers) == 3 else expected[2:]), (shape, row)
        assert count == str(int(row[3]))
    assert _texts(svg, "total") == [str(int(variant.env["total"]))]


def _check_values(svg, values, decimals):
    assert _texts(svg, "value") == [_fmt(v, decimals) for v in values]


CHECKS = {
    "cnn.conv_output_size": lambda v, svg: _check_conv(v, svg, ["H_out", "W_out"]),
    "cnn.pool_output": lambda v, svg: _check_conv(v, svg, ["H_out", "W_out"]),
    "cnn.dilated_conv_output": lambda v, svg: _check_conv(v, svg, ["O", "O"]),
    "cnn.network_table": _check_network,
    "mlp.network_table": _check_network,
    "attention.attention_weights": lambda v, svg: _check_values(svg, v.env["alpha"], 3),
    "neuron.activation_output": lambda v, svg: _numbers(_texts(svg, "f")[0])[-1] == _fmt(v.env["y_hat"], v.answers[0].spec.decimals) or pytest.fail(_texts(svg, "f")),
    "binary.sigmoid": lambda v, svg: _numbers(_texts(svg, "f")[0])[-1] == _fmt(v.env["s"], 4) or pytest.fail(_texts(svg, "f")),
    "optimisers.momentum_two_steps": lambda v, svg: _check_legend(svg, ["θ₁", "θ₂", "θ₃"], [_fmt(v.env[n], 4) for n in ("theta_1", "theta_2", "theta_3")]),
    "optimisers.adam_step": lambda v, svg: _check_legend(svg, ["θ₁", "θ₂", "θ₃"], [_pair(v.env[n]) for n in ("theta_1", "theta_2", "theta_3")]),
    "regression.mse_gradient_step": lambda v, svg: _check_legend(svg, ["w", "w(t+1)"], [_pair(v.env[n]) for n in ("w", "w_new")]),
}


def _pair(vector):
    return f"({_fmt(vector[0], 4)}, {_fmt(vector[1], 4)})"


def _check_legend(svg, names, shown):
    assert _texts(svg, "value") == [f"{name} = {value}" for name, value in zip(names, shown)]


def _softmax_check(variant, figure, svg):
    values = variant.env["z"] if figure.index == 0 else variant.env["y_hat"]
    _check_values(svg, values, 1 if figure.index == 0 else 3)


@pytest.mark.parametrize("template_id", [*CHECKS, "multiclass.softmax"])
def test_the_bank_figures_show_their_variants_numbers(template_id):
    template = _template(template_id)
    assert template.figures, template_id
    for index in range(12):
        variant = make_variant(template, 3, index)
        for figure in variant_figures(variant):
            svg = figure_svg(figure, "solution")
            if template_id == "multiclass.softmax":
                _softmax_check(variant, figure, svg)
            else:
                CHECKS[template_id](variant, svg)


def test_the_question_hides_what_it_asks():
    template = _template("cnn.conv_output_size")
    variant = make_variant(template, 3, 0)
    (figure,) = variant_figures(variant, "question")
    svg = figure_svg(figure, "question")
    assert _texts(svg, "out-size") == ["H_out × W_out = ? × ?"]
    assert _numbers(_texts(svg, "in-size")[0]) == [_fmt(variant.env["H"]), _fmt(variant.env["W"])]
    network = variant_figures(make_variant(_template("mlp.network_table"), 3, 0), "question")[0]
    assert set(_texts(figure_svg(network, "question"), "shape")) == {"?"}


def test_a_small_grid_is_drawn_cell_by_cell_with_the_kernel_taps():
    template = _template("cnn.dilated_conv_output")
    variant = solve(template, {"N": 9, "K": 3, "D": 2, "P": 1, "S": 1})
    (figure,) = variant_figures(variant)
    assert not figure.data["symbolic"] and figure.data["effective"] == [5, 5]
    root = etree.fromstring(figure_svg(figure, "solution").encode())
    taps = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#e8590c" and r.get("stroke") == "none"]
    assert len(taps) == 9  # the 3 x 3 taps of the dilated kernel
    outputs = [r for r in root.iter(f"{SVG}rect") if float(r.get("x")) > 250 and r.get("stroke-width") == "0.6"]
    assert len(outputs) == 7 * 7


def test_every_kind_draws_well_formed_escaped_deterministic_svg():
    template = build_template(_base(
        variables=[
            {"name": "N", "draw": "int(5, 9)"}, {"name": "O", "value": "conv_output_size(N, 3, 1, 1)"},
            {"name": "A", "value": "[[0.5, 0.25], [0.125, 1]]"}, {"name": "z", "value": "[1, -2, 0.5]"},
        ],
        figures=[
            {**GOOD, "caption": "<b>&'\"", "alt": "a <script> & \"quote\""},
            {"kind": "matrix_heatmap", "inputs": {"values": "A", "rows": "['<q>', 'q&2']"}, "caption": "c", "alt": "a"},
            {"kind": "bars", "inputs": {"values": "z", "axis": "'<z>'"}, "caption": "c", "alt": "a"},
            {"kind": "curve", "inputs": {"function": "'tanh'", "z": "-1.5"}, "caption": "c", "alt": "a"},
        ],
    ), "t.yaml", None, None)
    first = [figure_svg(f, part) for f in variant_figures(make_variant(template, 5, 0)) for part in ("question", "solution")]
    for svg in first:
        etree.fromstring(svg.encode())
        assert "<script" not in svg and "<q>" not in svg
    from quizgen.formats import figures as drawing

    drawing._svg.cache_clear()
    again = [figure_svg(f, part) for f in variant_figures(make_variant(template, 5, 0)) for part in ("question", "solution")]
    assert first == again
    assert {"conv_grid", "network", "matrix_heatmap", "bars", "curve", "trajectory"} == set(KINDS)


def test_moodle_embeds_each_figure_as_a_file_shown_with_its_alt_text():
    import base64

    from quizgen.formats.moodle import ExportItem, build_categories, render_category_xml

    (category,) = build_categories([ExportItem(_template("multiclass.softmax"))], 3, 4)
    variants = [q.variant for q in category.questions]
    render_category_xml(category)
    xml = category.xml
    root = etree.fromstring(f"<quiz>{xml}</quiz>".encode())
    questions = [q for q in root.iter("question") if q.get("type") != "category"]
    assert len(questions) == len(variants)
    for question, variant in zip(questions, variants):
        text = question.find("questiontext")
        feedback = question.find("generalfeedback")
        (logits,), (probabilities,) = variant_figures(variant, "question"), variant_figures(variant, "solution")
        for element, figure, part in ((text, logits, "question"), (feedback, probabilities, "solution")):
            (file,) = element.findall("file")
            name = file.get("name")
            assert file.get("encoding") == "base64" and file.get("path") == "/"
            assert base64.b64decode(file.text).decode() == figure_svg(figure, part)
            html = element.find("text").text
            assert f'src="@@PLUGINFILE@@/{name}"' in html and f'alt="{figure.alt}"' in html


@pytest.mark.parametrize("flavour", ["qti21", "qti30"])
def test_qti_packs_each_figure_as_a_file_listed_in_the_manifest(flavour):
    import io
    import zipfile

    from quizgen.formats.moodle import ExportItem
    from quizgen.formats.qti import export_qti

    export = export_qti([ExportItem(_template("binary.sigmoid"))], 2, 4, flavour)
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    manifest = archive.read("imsmanifest.xml").decode()
    svgs = [name for name in archive.namelist() if name.endswith(".svg")]
    assert len(svgs) == 4  # a question and a solution drawing for each of the 2 items
    for name in svgs:
        assert f'href="{name}"' in manifest
        etree.fromstring(archive.read(name))
    items = [name for name in archive.namelist() if name.startswith("items/") and name.endswith(".xml")]
    for item in items:
        text = archive.read(item).decode()
        assert text.count("<img ") == 2 and 'alt="The S-shaped sigmoid' in text
        for source in re.findall(r'src="([^"]+)"', text):
            assert source.startswith("../media/") and source.removeprefix("../") in svgs
    assert export_qti([ExportItem(_template("binary.sigmoid"))], 2, 4, flavour).data == export.data


def test_validate_resolves_every_figure_of_the_variants_it_draws():
    from quizgen.engine.validate import stress

    entry = {**GOOD, "inputs": {"input": "N", "kernel": "N + 3"}}  # never fits: N + 3 > N + 2*0
    template = build_template(_base(figures=[entry]), "t.yaml", None, None)
    (problem,) = stress(template, 5, 1)
    assert "figures[0].inputs" in problem and "does not fit" in problem


def test_the_selftest_page_inlines_the_question_figure_and_hides_the_solution_one():
    from quizgen.formats.selftest import deobfuscate, page_key, render_selftest

    variants = [make_variant(_template("binary.sigmoid"), 2, i) for i in range(2)]
    page = render_selftest([variants], 2)
    inline = ' xmlns="http://www.w3.org/2000/svg"'  # an inline SVG needs no namespace: the page names no URL
    question = [figure_svg(variant_figures(v, "question")[0], "question").replace(inline, "") for v in variants]
    solution = [figure_svg(variant_figures(v, "solution")[0], "solution").replace(inline, "") for v in variants]
    assert "http://" not in page and all(svg in page for svg in question) and not any(svg in page for svg in solution)
    key = page_key([variants], 2)
    for number, blob in enumerate(re.findall(r'data-secret="([^"]*)"', page)):
        assert solution[number] in deobfuscate(blob, key, number)["steps"]
    assert "currentColor" in question[0]


def test_the_json_record_lists_kind_place_and_resolved_inputs():
    from quizgen.formats.records import variant_record

    variant = solve(_template("cnn.dilated_conv_output"), {"N": 9, "K": 3, "D": 2, "P": 1, "S": 1})
    (figure,) = variant_record(variant)["figures"]
    assert figure["kind"] == "conv_grid" and figure["place"] == "both"
    assert figure["inputs"] == {"input": 9, "kernel": 3, "padding": 1, "stride": 1, "dilation": 2, "mode": "conv"}
    assert "9 × 9" in figure["caption"] and figure["alt"]


def test_the_latex_figure_pdf_is_the_drawing_with_its_numbers():
    import shutil
    import subprocess

    from quizgen.formats.figures_pdf import svg_to_pdf

    variant = solve(_template("cnn.conv_output_size"), {"H": 7, "W": 9, "K_h": 3, "K_w": 3, "P_h": 1, "P_w": 1, "S_h": 2, "S_w": 2})
    svg = figure_svg(variant_figures(variant)[0], "solution")
    pdf = svg_to_pdf(svg)
    svg_to_pdf.cache_clear()
    assert pdf.startswith(b"%PDF-1.4") and svg_to_pdf(svg) == pdf and b"CreationDate" not in pdf
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        squeezed = text.replace(" ", "")
        assert "H_out×W_out=4×5" in squeezed and "H×W=7×9" in squeezed


def test_the_same_seed_gives_the_same_bytes_in_every_output_with_figures():
    from quizgen.formats import figures as drawing
    from quizgen.formats.moodle import ExportItem, build_categories, render_category_xml
    from quizgen.formats.selftest import render_selftest

    def outputs():
        drawing._svg.cache_clear()
        templates = [_template(i) for i in CHECKS]
        (category,) = build_categories([ExportItem(templates[0])], 2, 8)
        render_category_xml(category)
        variants = [make_variant(t, 8, 0) for t in templates]
        svgs = [figure_svg(f, part) for v in variants for f in variant_figures(v) for part in ("question", "solution")]
        return category.xml, render_selftest([[v] for v in variants], 8), svgs

    assert outputs() == outputs()


# ---------------------------------------------------------------------------
# trajectory on a loss: the curve and the contour lines are the loss, read back through the axes' ticks


def _axis(svg: str, role: str, attribute: str):
    """The map from a pixel coordinate to a value, from the first and last tick of an axis."""
    root = etree.fromstring(svg.encode())
    ticks = [(float(e.get(attribute)) - (3 if attribute == "y" else 0), float(e.text)) for e in root.iter(f"{SVG}text") if e.get("class") == role]
    assert len(ticks) >= 2, role
    (p0, v0), (p1, v1) = ticks[0], ticks[-1]
    return lambda pixel: v0 + (pixel - p0) * (v1 - v0) / (p1 - p0), abs(p1 - p0) / abs(v1 - v0)


def _polylines(svg: str, role: str) -> list[list[tuple[float, float]]]:
    root = etree.fromstring(svg.encode())
    lines = []
    for element in root.iter(f"{SVG}polyline"):
        if element.get("class") == role:
            numbers = [float(v) for v in re.split(r"[ ,]+", element.get("points").strip())]
            lines.append(list(zip(numbers[0::2], numbers[1::2])))
    return lines


def _points(svg: str) -> list[tuple[float, float]]:
    root = etree.fromstring(svg.encode())
    return [(float(e.get("cx")), float(e.get("cy"))) for e in root.iter(f"{SVG}circle") if e.get("class") == "point"]


def _as_floats(value):
    return np.array([float(v) for v in value], dtype=float)


def _momentum_loss(env):
    """The quadratic L = a θ²/2 + b θ whose slope is g_1 at θ_1 and g_2 at θ_2, solved with numpy."""
    t1, t2, g1, g2 = (float(env[n]) for n in ("theta_1", "theta_2", "g_1", "g_2"))
    a, b = np.linalg.solve([[t1, 1.0], [t2, 1.0]], [g1, g2])
    start = 0.5 * a * t1 * t1 + b * t1  # no constant given: the figure draws L - L(θ_1)
    return (lambda t: 0.5 * a * t * t + b * t - start), [float(env[n]) for n in ("theta_1", "theta_2", "theta_3")]


def _adam_path(env):
    """θ_1, θ_2, θ_3 replayed with torch.optim.Adam: from θ_1 (the start that Adam's first step, with g_1,
    takes to the question's θ_2), then g_2; and the per-parameter quadratic with gradient g_1 at θ_1, g_2 at θ_2."""
    import torch

    g1, g2, t2 = _as_floats(env["g_1"]), _as_floats(env["g_2"]), _as_floats(env["theta_2"])
    eta = float(env["eta"])
    start = t2 + eta * np.sign(g1)  # Adam's first step moves each parameter by eta against the gradient's sign
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.Adam([theta], lr=eta, betas=(0.9, 0.999), eps=1e-8)
    path = [start.copy()]
    for g in (g1, g2):
        theta.grad = torch.tensor(g, dtype=torch.float64)
        optimiser.step()
        path.append(theta.detach().numpy().copy())
    assert np.allclose(path[1], t2, atol=1e-7) and np.allclose(path[2], _as_floats(env["theta_3"]), atol=1e-7)
    curvature = np.array([np.linalg.solve([[path[0][i], 1.0], [path[1][i], 1.0]], [g1[i], g2[i]]) for i in range(2)])

    def loss(x, y):
        return sum(0.5 * curvature[i, 0] * c * c + curvature[i, 1] * c for i, c in enumerate((x, y)))

    return loss, path


def _mse_loss(env):
    X, y = np.array(env["X"], dtype=float), _as_floats(env["y"])
    return (lambda a, b: float(np.mean(0.5 * (X @ np.array([a, b]) - y) ** 2))), [_as_floats(env["w"]), _as_floats(env["w_new"])]


def _check_curve(svg, loss, path):
    x_of, _ = _axis(svg, "x-tick", "x")
    y_of, y_scale = _axis(svg, "y-tick", "y")
    (curve,) = _polylines(svg, "loss")
    assert len(curve) > 100
    for px, py in curve:  # every vertex of the curve is (θ, L(θ)), to a fifth of a pixel
        assert abs(y_of(py) - loss(x_of(px))) * y_scale < 0.2
    points = _points(svg)
    assert len(points) == len(path)
    for (px, py), theta in zip(points, path):
        assert abs(x_of(px) - theta) < 1e-3 * abs(x_of(100) - x_of(0)) and abs(y_of(py) - loss(theta)) * y_scale < 0.2


def _check_contours(svg, loss, path):
    x_of, scale = _axis(svg, "x-tick", "x")
    y_of, y_scale = _axis(svg, "y-tick", "y")
    assert abs(scale - y_scale) < 1e-3 * scale  # one scale on both axes
    lines = _polylines(svg, "contour")
    assert lines
    step = 1e-6 / scale
    for line in lines:  # each contour line is a level set of the loss, to a fifth of a pixel
        values = [loss(x_of(px), y_of(py)) for px, py in line]
        level = float(np.median(values))
        for (px, py), value in zip(line, values):
            x, y = x_of(px), y_of(py)
            slope = np.hypot(loss(x + step, y) - loss(x - step, y), loss(x, y + step) - loss(x, y - step)) / (2 * step)
            assert abs(value - level) <= slope * 0.2 / scale + 1e-12 * max(1.0, abs(level)), (value, level)
    points = _points(svg)
    assert len(points) == len(path)
    for (px, py), theta in zip(points, path):
        assert abs(x_of(px) - theta[0]) * scale < 0.05 and abs(y_of(py) - theta[1]) * scale < 0.05


LOSSES = {
    "optimisers.momentum_two_steps": (_momentum_loss, _check_curve),
    "optimisers.adam_step": (_adam_path, _check_contours),
    "regression.mse_gradient_step": (_mse_loss, _check_contours),
}


@pytest.mark.parametrize("template_id", LOSSES)
def test_a_trajectory_is_drawn_on_its_loss_over_many_seeds(template_id):
    """The curve's vertices, the contour lines and the path's points lie on the loss, evaluated
    independently (numpy; the Adam path replayed with torch) for variants of many seeds."""
    template = _template(template_id)
    independent, check = LOSSES[template_id]
    for seed in range(25):
        variant = make_variant(template, seed, seed % 3)
        (figure,) = variant_figures(variant)
        loss, path = independent(variant.env)
        check(figure_svg(figure, "solution"), loss, path)


def test_the_question_draws_the_loss_and_the_given_point_only():
    variant = make_variant(_template("regression.mse_gradient_step"), 4, 0)
    (figure,) = variant_figures(variant, "question")
    question, solution = figure_svg(figure, "question"), figure_svg(figure, "solution")
    assert _texts(question, "value") == [f"w = {_pair(variant.env['w'])}"]
    assert len(_points(question)) == 1 and len(_points(solution)) == 2
    shown = [e.text for e in etree.fromstring(question.encode()).iter(f"{SVG}text")]
    assert _pair(variant.env["w_new"]) not in question and not any("w(t+1)" in text for text in shown)
    # one dashed contour through each point drawn: the question has none through w(t+1)
    assert question.count('stroke-dasharray="4 3" class="contour"') < solution.count('stroke-dasharray="4 3" class="contour"')


def _trajectory(**inputs):
    return {"kind": "trajectory", "inputs": inputs, "caption": "c", "alt": "a"}


@pytest.mark.parametrize("entry, field, message", [
    (_trajectory(path="[N, O]", b="1"), "figures[0].inputs.b", "needs its curvature 'A'"),
    (_trajectory(path="[N, O]", c="1"), "figures[0].inputs.c", "needs its curvature 'A'"),
    (_trajectory(path="[N, O]", A="[[1, 2], [3, 4]]"), "figures[0].inputs.A", "symmetric"),
    (_trajectory(path="[N, O]", A="[1, 2]"), "figures[0].inputs.A", "2 x 2 matrix"),
    (_trajectory(path="[N, O]", A="1", b="[1, 2, 3]"), "figures[0].inputs.b", "vector of 2"),
    (_trajectory(path="[N, O]", A="1", c="'flat'"), "figures[0].inputs.c", "must be a number"),
    (_trajectory(path="[N, O]", A="10**7"), "figures[0].inputs.A", "from -1e+06 to 1e+06"),
    (_trajectory(path="[1, 2]", A="[[1, 0], [0, 1]]"), "figures[0].inputs.A", "for a path of 1 dimension"),
    (_trajectory(path="[[0, 0], [1, 1]]", A="1"), "figures[0].inputs.A", "for a path of 2 dimensions"),
    (_trajectory(path="[3]"), "figures[0].inputs.path", "vector of 2 to 20"),
    (_trajectory(path="[N, O]", given="0"), "figures[0].inputs.given", "from 1 to 20"),
    (_trajectory(path="[1, 2]", given="3"), "figures[0].inputs.given", "at most the path's 2 points"),
    (_trajectory(path="[N, O]", decimals="9"), "figures[0].inputs.decimals", "from 0 to 6"),
    (_trajectory(path="[1, 2]", labels="['a']"), "figures[0].inputs.labels", "list of 2 labels"),
    (_trajectory(path="[[0, 0], [1, 1]]", axes="['x']"), "figures[0].inputs.axes", "list of 2 labels"),
    (_trajectory(path="[N, O]", loss="'mse'"), "figures[0].inputs.loss", "unknown field"),
    (_trajectory(path="[N, O]", A="__import__('os')"), "figures[0].inputs.A", ""),
])
def test_a_bad_trajectory_input_is_a_load_error_naming_the_field(entry, field, message):
    with pytest.raises(BankError) as error:
        build_template(_base(figures=[entry]), "bad.yaml", None, None)
    text = str(error.value)
    assert "bad.yaml" in text and field in text and message in text, text


def test_a_trajectory_input_wrong_for_a_variant_names_the_figure_and_field():
    from quizgen.errors import VariantError

    template = build_template(_base(figures=[_trajectory(path="[N, O]", A="[[N, 0], [0, N]]")]), "t.yaml", None, None)
    with pytest.raises(VariantError, match=r"t.yaml: figures\[0\].inputs.A: 'A' must be a number for a path of 1 dimension"):
        variant_figures(make_variant(template, 1, 0))


@pytest.mark.parametrize("inputs", [
    {"path": "[1, 1]", "A": "0"},  # a flat loss and a path that does not move
    {"path": "[0.001, 0.0011, 0.0012]", "A": "-50", "b": "3"},  # a hill, and steps a ten-thousandth apart
    {"path": "[[0, 0], [0, 0]]", "A": "[[0, 0], [0, 0]]"},
    {"path": "[[1, 2], [1.5, 1], [-3, 4]]", "A": "[[1, 3], [3, -2]]", "b": "[1, -1]", "c": "1000000"},  # a saddle
    {"path": "[[0, 1000000], [-1000000, 0]]", "A": "[[1000000, 0], [0, 0.000001]]"},
    {"path": "[[0.5, 0.5], [0.4, 0.45]]", "A": "[[2, 0], [0, 2]]", "given": "2"},
    # the largest: 20 points of the widest numbers, the longest labels, a steep bowl
    {"path": str([[(-1) ** i * 999999.123456, 999999.654321 - i] for i in range(20)]),
     "A": "[[1000000, 0], [0, 1000000]]", "decimals": "6", "labels": str(["x" * 24] * 20), "axes": str(["y" * 24] * 2)},
    {"path": str([(-1) ** i * 999999.123456 for i in range(20)]), "A": "-1000000", "b": "1000000", "decimals": "6", "labels": str(["x" * 24] * 20)},
])
def test_any_loss_draws_a_bounded_finite_deterministic_svg(inputs):
    template = build_template(_base(figures=[_trajectory(**inputs)]), "t.yaml", None, None)
    (figure,) = variant_figures(make_variant(template, 1, 0))
    from quizgen.formats import figures as drawing
    from quizgen.formats.figures import figure_size

    for part in ("question", "solution"):
        svg = figure_svg(figure, part)
        etree.fromstring(svg.encode())
        assert "nan" not in svg.lower() and "inf" not in svg.lower()
        width, height = figure_size(figure, part)
        assert width <= 480 and height <= 480 and len(svg) < 60_000, (width, height, len(svg))
        drawing._svg.cache_clear()
        assert figure_svg(figure, part) == svg


def test_the_trajectory_pdf_shows_the_path_and_the_faint_contours():
    import shutil
    import subprocess

    from quizgen.formats.figures_pdf import svg_to_pdf

    variant = solve(_template("regression.mse_gradient_step"), {"N": 2, "X": [[1, 0], [0, 2]], "y": [1, 2], "w": [0.5, -0.5], "eta": 0.1})
    svg = figure_svg(variant_figures(variant)[0], "solution")
    pdf = svg_to_pdf(svg)
    assert b"/CA 0.35" in pdf  # the background contour lines' opacity
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert f"w = {_pair(variant.env['w'])}" in text and f"w(t+1) = {_pair(variant.env['w_new'])}" in text

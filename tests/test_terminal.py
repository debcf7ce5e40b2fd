"""Terminal text (show, solve, generate --format text, practice): readable maths, wrapped lines, aligned tables."""

from __future__ import annotations

import io
import re
import sys

import pytest
from click.testing import CliRunner

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.engine.figures import variant_figures
from quizgen.engine.generate import generate
from quizgen.formats.plain import math_to_plain, tex_to_plain, text_width
from quizgen.formats.records import variant_record
from quizgen.formats.render import render_text
from quizgen.formats.terminal import step_lines, wrap

BANK = load_bank(None)
TEX_LEFT = re.compile(r"\\[A-Za-z]+|[{}]")  # a TeX command or a brace that reached the terminal
RUN_ON = re.compile(r"_[^\W_]+_")  # a subscript run into the next symbol's: n_inn_out, C_inC_out, K_hK_w


@pytest.fixture(autouse=True)
def shipped_bank(monkeypatch):
    monkeypatch.delenv("QUIZGEN_BANK", raising=False)


@pytest.mark.parametrize(
    "tex, plain",
    [
        (r"W_{hh} h_{t-1} + W_{xh} x_t + b_h", "W_hh·h_(t-1) + W_xh·x_t + b_h"),
        (r"n_{in}n_{out}+n_{out}", "n_in·n_out+n_out"),
        (r"(K_hK_wC_{in}+1)C_{out}", "(K_h·K_w·C_in+1)C_out"),
        (r"\alpha_i = \frac{\exp(\text{score}(q,k_i))}{\sum_{j=1}^{3}\exp(\text{score}(q,k_j))}", "α_i = exp(score(q, k_i))/(∑_(j=1..3) exp(score(q, k_j)))"),
        (r"H_{out} = \left\lfloor \frac{H - K_h + 2P_h}{S_h} \right\rfloor + 1", "H_out = ⌊(H - K_h + 2P_h)/S_h⌋ + 1"),
        (r"\ell(\hat{y},y) = -y\log(\hat{y}) - (1-y)\log(1-\hat{y})", "ℓ(ŷ, y) = -y log(ŷ) - (1-y) log(1-ŷ)"),
        (r"z = \log\frac{p}{1-p}", "z = log(p/(1-p))"),
        (r"\frac{\partial \ell}{\partial z}", "∂ℓ/∂z"),
        (r"P^{(\text{conv1})}", "P^(conv1)"),
        (r"e^{z_k} + e^{-z} + e^{s}", "e^(z_k) + e^(-z) + e^s"),
        (r"\sum_{k} {e^{s}}_{k}", "∑_k (e^s)_k"),
        (r"\epsilon = 10^{-8}, \quad x^2, \quad QK^T", "ε = 10⁻⁸, x², QKᵀ"),
        (r"\frac{QK^T}{\sqrt{d_k}}", "QKᵀ/√(d_k)"),
        (r"g=\frac{1}{B}\sum_{i \in B}\nabla_{\theta}\ell_i(\theta)", "g = (1/B) ∑_(i∈B) ∇_θ ℓ_i(θ)"),
        (r"\hat{m}_t = \frac{m_t}{1-\beta_1^t}", "m̂_t = m_t/(1-β_1^t)"),
        (r"\operatorname{one\_hot}\left(c, K\right)", "one_hot(c, K)"),
        (r"{\begin{bmatrix} 1 & -1 \\ 2 & 0 \end{bmatrix}}", "[1, -1; 2, 0]"),
        (r"3 \cdot 4 \times 5", "3 · 4 × 5"),
        (r"\frac{1}{2}(w^T x^{(i)}-y^{(i)})^2", "(1/2)(wᵀ x^(i)-y^(i))²"),
    ],
)
def test_known_formulas(tex, plain):
    assert math_to_plain(tex) == plain


def test_prose_keeps_text_and_reads_math():
    assert tex_to_plain(r"costs \$5: $\sigma(z) = \frac{1}{1+e^{-z}}$, the sigmoid") == "costs $5: σ(z) = 1/(1+e^(-z)), the sigmoid"


def _every_text(width: int) -> list[tuple[str, str]]:
    """Each template's text as `quizgen show` prints it: with its figures drawn as text (quizgen.formats.figures_text)."""
    texts = []
    for tid, template in sorted(BANK.templates.items()):
        for seed in (0, 5):
            variant = next(generate(template, 1, seed))
            texts.append((tid, render_text(variant_record(variant), width=width, figures=variant_figures(variant))))
    return texts


@pytest.mark.parametrize("width", [80, 50])
def test_every_template_reads_as_plain_text_within_the_width(width):
    for tid, text in _every_text(width):
        for line in text.splitlines():
            assert not TEX_LEFT.search(line), (tid, line)
            assert line.startswith(f"[{tid} ") or not RUN_ON.search(line), (tid, line)  # a template id holds underscores
            assert text_width(line) <= width, (tid, width, line)


def test_lines_break_at_spaces_never_inside_a_number():
    numbers = "0.12345 " * 30
    lines = wrap("Values " + numbers, 40, "  ", "    ")
    assert all(text_width(line) <= 40 for line in lines)
    assert " ".join(" ".join(lines).split()) == " ".join(("Values " + numbers).split())
    assert all(re.fullmatch(r"\s*(Values )?(0\.12345 ?)+", line) for line in lines)


def test_a_long_step_is_broken_at_its_equals_signs():
    tex = r"W_{out} = \left\lfloor \frac{W - K_w + 2P_w}{S_w} \right\rfloor + 1 = \left\lfloor \frac{224 - 7 + 2 \cdot 3}{2} \right\rfloor + 1 = 112"
    lines = step_lines(tex, 50, "     ")
    assert lines == [
        "     W_out = ⌊(W - K_w + 2P_w)/S_w⌋ + 1",
        "           = ⌊(224 - 7 + 2 · 3)/2⌋ + 1",
        "           = 112",
    ]


def test_the_cnn_layer_table_and_matrix_answers_are_aligned_columns():
    record = variant_record(next(generate(BANK.get("cnn.network_table"), 1, 3)))
    text = render_text(record, width=80)
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if re.fullmatch(r"\s+layer\s+description", line))
    assert set(lines[header + 1].strip()) <= {"─", " "}
    assert re.fullmatch(r"\s+0  input, \d+ × \d+ × \d+", lines[header + 2])
    assert "[ layer" not in text and "layer, description" not in text
    table = [row for row in record["answers"][0]["rounded"]]
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(record["answers"][0]["label"]))
    shown = [line.split() for line in lines[start + 1 : start + 1 + len(table)]]
    assert shown == [[str(cell) for cell in row] for row in table]
    ends = {len(line) for line in lines[start + 1 : start + 1 + len(table)]}
    assert len(ends) == 1  # numbers right-aligned: every row ends in the same column


def test_a_displayed_matrix_is_drawn_in_columns():
    record = variant_record(next(generate(BANK.get("attention.scaled_dot_product"), 1, 3)))
    text = render_text(record, show_answers=False, width=80)
    assert "⎡" in text and "⎣" in text  # Q, K and V as bracketed columns


def test_narrow_width_wraps_the_heading_cleanly():
    record = variant_record(next(generate(BANK.get("regularisation.l1_regularised_loss"), 1, 0)))
    lines = render_text(record, width=40).splitlines()
    assert all(text_width(line) <= 40 for line in lines[:4])
    heading = " ".join(line.strip() for line in lines[: lines.index("")])
    assert heading.startswith(record["title"]) and f"[{record['template']} · variant {record['code']}" in heading


def test_piped_output_is_laid_out_at_80_columns_whatever_the_terminal(monkeypatch, tmp_path):
    first = CliRunner().invoke(cli, ["show", "cnn.network_table", "--seed", "3"]).output
    monkeypatch.setenv("COLUMNS", "40")
    assert CliRunner().invoke(cli, ["show", "cnn.network_table", "--seed", "3"]).output == first
    assert max(text_width(line) for line in first.splitlines()) <= 80
    out = tmp_path / "v.txt"
    assert CliRunner().invoke(cli, ["generate", "cnn.network_table", "--format", "text", "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == CliRunner().invoke(cli, ["show", "cnn.network_table", "--seed", "0"]).output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_quality_report_on_a_narrow_terminal_is_wrapped_with_names_whole(monkeypatch):
    from quizgen import cli as cli_module
    from quizgen.engine.quality import assess, format_report

    results = [assess(BANK.get(tid), samples=5, seed=0) for tid in ("cnn.conv_params", "rnn.recurrent_params")]
    assert cli_module._report_text(results) == format_report(results)  # piped: the table as it is
    monkeypatch.setattr(sys, "stdout", _Terminal())
    monkeypatch.setenv("COLUMNS", "50")
    text = cli_module._report_text(results)
    assert all(text_width(line) <= 50 for line in text.splitlines())
    words = text.split()
    for q in results:
        assert q.template in words
        if q.smallest_gap_mistake:
            assert any(word.rstrip(",") == q.smallest_gap_mistake for word in words)


def test_a_number_in_scientific_notation_is_never_broken():
    lines = wrap("the step adds ε = 1 × 10⁻⁸ to the root " * 3, 30)
    assert all("× 10⁻⁸" in line or "×" not in line for line in lines)


def test_any_tex_fragment_renders_without_an_error():
    import random

    from quizgen.formats.terminal import display_lines, prose_lines

    tokens = [r"\frac", r"\sqrt", "{", "}", "^", "_", r"\begin{bmatrix}", r"\end{bmatrix}", r"\begin{array}{rl}", r"\end{array}",
              "&", r"\\", r"\left(", r"\right)", "(", ")", "x", "12.5", " ", r"\hat", r"\text", r"\sum", r"\cdot", "=", r"\approx",
              "$", "$$", r"\quad", ",", r"\left", r"\right", ".", r"\hline", r"\operatorname", "[", "]", r"\lfloor", "'", "-", r"\unknown"]
    rng = random.Random(18)
    for _ in range(2000):
        tex = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 30)))
        math_to_plain(tex), tex_to_plain(tex), prose_lines(tex, 40), step_lines(tex, 40), display_lines(tex, 30)
    deep = "{" * 5000 + "x_{t}" + "}" * 5000
    assert math_to_plain(deep) == "x_t"

"""``quizgen export html``: the page as a file (self-contained, deterministic, answers hidden).

What the page does in a browser is tested in tests/test_selftest_browser.py.
"""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizgen.cli import cli
from quizgen.engine.bank import load_bank
from quizgen.engine.generate import generate
from quizgen.errors import RenderError
from quizgen.formats.selftest import check_page, deobfuscate, exact_text, math_html, obfuscate, page_key, prose_html, render_selftest, tolerance_text

IDS = ["cnn.conv_output_size", "cnn.conv_params", "multiclass.softmax", "concepts.lstm_gates", "concepts.lstm_gates_matching"]


@pytest.fixture(scope="module")
def pools(bank):
    return [list(generate(bank.get(i), 3, 2)) for i in IDS]


@pytest.fixture(scope="module")
def page(pools) -> str:
    return render_selftest(pools, seed=2)


class _Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(page: str) -> _Collect:
    collector = _Collect()
    collector.feed(page)
    return collector


def test_the_page_is_self_contained(page):
    tags = parsed(page).tags
    assert not [t for t, attrs in tags if t in ("link", "img", "iframe", "object", "embed") or "src" in attrs or "href" in attrs]
    csp = [attrs["content"] for t, attrs in tags if t == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0].startswith("default-src 'none';")
    assert [t for t, _ in tags].count("script") == 1 and [t for t, _ in tags].count("style") == 1
    assert "<math" in page and "latex2mathml" not in page and "http://" not in page and "https://" not in page


def test_the_answers_are_not_in_the_page_source(pools, page):
    for pool in pools:
        for variant in pool:
            article = re.search(rf'<article[^>]*data-number="\d+"[^>]*>.*?Variant {re.escape(variant.code)} .*?</article>', page, re.S).group(0)
            if variant.template.kind not in ("concept", "matching"):  # their steps' labels are the table's words
                for step in variant.steps():
                    assert step.label not in page, step.label
            for mistake in variant.mistakes:
                assert mistake.label not in page
            if variant.template.kind == "matching":
                for left, right in variant.answers[0].value:
                    assert f"{left} → {right}" not in page
            elif not variant.options:
                for answer in variant.answers:
                    flat = answer.rounded if isinstance(answer.rounded, list) else [answer.rounded]
                    for rounded in flat:
                        shown_in_question = rounded in variant.text
                        if len(rounded) >= 3 and not shown_in_question:
                            assert not re.search(rf"(?<![\d.]){re.escape(rounded)}(?![\d])", article), (variant.code, rounded)
    assert "Identify the given values" not in page


def test_hidden_parts_decode_to_the_answers_and_tolerances(pools, page):
    key = int(re.search(r'data-page-key="(\d+)"', page).group(1))
    assert key == page_key(pools, 2)
    blobs = re.findall(r'data-secret="([^"]*)"', page)
    assert len(blobs) == sum(len(pool) for pool in pools)
    softmax = deobfuscate(blobs[6], key, 6)  # the first variant of the third question
    answer = pools[2][0].answers[0]
    assert softmax["answers"][0]["tol"] == tolerance_text(answer.tolerance)
    assert softmax["answers"][0]["exact"] == exact_text(answer.value)
    assert softmax["answers"][0]["key"] == " ".join(answer.rounded)
    assert [m["label"] for m in softmax["answers"][0]["mistakes"]] == [m.label for m in pools[2][0].mistakes if m.answer == answer.spec.name]
    choice = deobfuscate(blobs[3], key, 3)
    assert choice["correct"] == next(o.label for o in pools[1][0].options if o.correct)


def test_obfuscation_round_trips_any_text():
    data = {"text": "ŷ = σ(z) → 0.5 \u2212 ∑ \"quoted\" </script>", "n": [1, 2]}
    for number in (0, 1, 10**6):
        blob = obfuscate(data, 123456789, number)
        assert deobfuscate(blob, 123456789, number) == data
        assert "script" not in blob
    assert obfuscate(data, 1, 0) != obfuscate(data, 1, 1) != obfuscate(data, 2, 1)


def test_same_inputs_give_a_byte_identical_page(pools, page):
    assert render_selftest(pools, seed=2) == page
    again = [list(generate(pool[0].template, 3, 2)) for pool in pools]
    assert render_selftest(again, seed=2) == page


def test_prose_and_math_become_html_and_mathml():
    out = prose_html("Is $a < b$ & is $$x^2$$ shown?\n\nA price of \\$5 <b>bold</b>")
    assert out.count("<p>") == 2
    assert "&amp; is" in out and "&lt;b&gt;bold&lt;/b&gt;" in out and "$5" in out
    assert '<math display="inline">' in out and '<math display="block">' in out
    assert "<mo>&lt;</mo>" in out or "<mo>&#x0003C;</mo>" in out
    assert "&#x0003D;" not in str(math_html("a = b")) and "<mo>=</mo>" in str(math_html("a = b"))
    broken = str(math_html(r"\frac{1}{"))
    assert broken.startswith('<code class="tex">') or broken.startswith("<math")


def test_the_whole_bank_converts_to_mathml_without_falling_back(bank):
    pools = [list(generate(t, 1, 3)) for _, t in sorted(bank.templates.items())]
    page = render_selftest(pools, seed=3)
    key = int(re.search(r'data-page-key="(\d+)"', page).group(1))
    hidden = [deobfuscate(blob, key, i) for i, blob in enumerate(re.findall(r'data-secret="([^"]*)"', page))]
    assert 'class="tex"' not in page and not any('class=\\"tex\\"' in str(h) or 'class="tex"' in str(h) for h in hidden)


def test_check_page_refuses_what_would_fetch_or_not_decode(page):
    key = int(re.search(r'data-page-key="(\d+)"', page).group(1))
    count = page.count("data-secret=")
    with pytest.raises(RenderError, match="would fetch"):
        check_page(page.replace("<main>", '<main><img src="https://example.org/x.png">'), key, count)
    with pytest.raises(RenderError, match="external resource"):
        check_page(page.replace("<main>", "<main><style>@import 'x.css';</style>"), key, count)
    with pytest.raises(RenderError, match="holds"):
        check_page(page, key, count + 1)


def test_export_html_command(tmp_path, monkeypatch):
    monkeypatch.delenv("QUIZGEN_BANK", raising=False)
    out = tmp_path / "self.html"
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "html", "cnn.conv_output_size", "concepts.gru_gates_matching", "--variants", "6", "--seed", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Note: concepts.gru_gates_matching: only 3 distinct variants" in result.stderr
    page = out.read_text()
    assert page.count("data-secret=") == 6 + 3
    assert [p.name for p in tmp_path.iterdir()] == ["self.html"]
    again = tmp_path / "again.html"
    runner.invoke(cli, ["export", "html", "cnn.conv_output_size", "concepts.gru_gates_matching", "-n", "6", "--seed", "1", "-o", str(again)])
    assert again.read_bytes() == out.read_bytes()

    result = runner.invoke(cli, ["export", "html", "cnn.nope", "-o", str(tmp_path / "bad.html")])
    assert result.exit_code == 2 and result.stderr.startswith("Error: unknown template 'cnn.nope'")
    assert not (tmp_path / "bad.html").exists()
    result = runner.invoke(cli, ["export", "html", "--topic", "cnn"])
    assert result.exit_code == 2 and "Missing option '--output'" in result.stderr
    result = runner.invoke(cli, ["export", "html", "--topic", "cnn", "--seed", "-1", "-o", str(tmp_path / "bad.html")])
    assert result.exit_code == 2 and "seed=-1" in result.stderr and not (tmp_path / "bad.html").exists()


def test_export_html_help_has_an_example():
    result = CliRunner().invoke(cli, ["export", "html", "--help"])
    assert result.exit_code == 0 and "quizgen export html --topic cnn" in result.output
    assert "stops casual reading, not a determined student" in result.output


def test_shipped_bank_fixture_is_the_shipped_bank(bank):
    assert Path(bank.root) == Path(load_bank().root)


def test_export_html_from_an_exam_spec(tmp_path):
    """--exam: a mock exam page with every template the spec's sections can draw."""
    from pathlib import Path

    from click.testing import CliRunner

    from quizgen.cli import cli

    spec = Path(__file__).resolve().parent.parent / "examples" / "midterm.toml"
    out = tmp_path / "mock.html"
    result = CliRunner().invoke(cli, ["export", "html", "--exam", str(spec), "-n", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    clash = CliRunner().invoke(cli, ["export", "html", "--exam", str(spec), "--topic", "cnn", "-o", str(tmp_path / "x.html")])
    assert clash.exit_code == 2 and "not both" in clash.output

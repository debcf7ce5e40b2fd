"""The self-test page in a real headless Chromium: Debian's ``chromium`` driven by Playwright.

Playwright is pointed at /usr/bin/chromium (no downloaded browser). The tests type
answers and press the buttons as a student would, and check that the page's JavaScript
reads and marks answers exactly as quizgen.marking.responses and quizgen.marking.mark do, on many
responses around every answer's tolerance. Set QUIZGEN_SCREENSHOTS=DIR to keep the
desktop and phone screenshots that test_screenshots takes.
"""

from __future__ import annotations

import os
import random
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from quizgen.engine.bank import load_bank
from quizgen.engine.generate import answer_shape, generate, matching_columns
from quizgen.formats.selftest import exact_text, render_selftest, tolerance_text
from quizgen.formats.typed import describe_shape, flat_rounded
from quizgen.marking.mark import mark_blank, read_blank
from quizgen.marking.responses import ResponseError, fit_shape, parse_response

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="Playwright for Python is not installed (pip install '.[test]')"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDS = ["cnn.conv_output_size", "cnn.conv_params", "multiclass.softmax", "concepts.lstm_gates", "concepts.lstm_gates_matching"]

MATRIX_TEMPLATE = """\
id: selftest.matrix
title: Scale a matrix
topic: selftest
section: 1
difficulty: 1
kind: multipart
variables:
  - {name: M, draw: "matrix(2, 3, int(-3, 4))"}
  - {name: c, draw: "choice([0.5, 1.5, 2.5])"}
  - {name: P, value: "c * M"}
  - {name: E, value: "exp(c) * M"}
constraints:
  - {expr: "not (M[0] == 0) and not (M[1] == 0)", message: no zero row}
text: |
  Multiply $M = {@M@}$ by $c = {@c@}$, and by $e^c$.
answers:
  - {name: P, kind: matrix, decimals: 1, label: scaled matrix}
  - {name: E, kind: matrix, decimals: 3, tolerance: {rel: 0.01}, label: exp-scaled matrix}
mistakes:
  - {name: added, label: added instead of multiplied, answer: P, value: "c + M", feedback: "Multiply each entry by $c$."}
  - {name: no_exp, label: forgot the exponential, answer: E, value: "c * M", feedback: "Scale by $e^c$, not by $c$."}
"""


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def pools(bank):
    return [list(generate(bank.get(i), 3, 2)) for i in IDS]


@pytest.fixture(scope="module")
def page_file(pools, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("page") / "selftest.html"
    path.write_text(render_selftest(pools, seed=2), encoding="utf-8")
    return path


class Opened:
    """A browser tab on the page, recording every request and every script error."""

    def __init__(self, browser, path: Path, **options):
        self.context = browser.new_context(**options)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.tab = self.context.new_page()
        self.tab.on("request", lambda request: self.requests.append(request.url))
        self.tab.on("pageerror", lambda error: self.errors.append(str(error)))
        self.tab.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.url = path.resolve().as_uri()
        self.tab.goto(self.url)

    def _route(self, route):
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def question(self, number: int):
        return self.tab.locator(f"#q{number} article.variant:not([hidden])")

    def score(self, topic: str) -> tuple[str, str]:
        row = self.tab.locator(f'.scores tr[data-topic="{topic}"]')
        return row.locator(".right").inner_text(), row.locator(".checked").inner_text()


@pytest.fixture
def opened(browser, page_file):
    page = Opened(browser, page_file)
    yield page
    assert set(page.requests) <= {page.url}, f"requests left the page: {page.requests}"
    assert not page.errors, page.errors
    page.context.close()


def verdict(article) -> str:
    article.locator(".feedback .verdict").wait_for()
    return article.locator(".feedback").inner_text()


def test_the_right_answer_is_marked_right_and_scored(opened, pools):
    variant = pools[0][0]
    article = opened.question(1)
    for i, answer in enumerate(variant.answers):
        article.locator("input").nth(i).fill(flat_rounded(answer.rounded))
    article.locator("button.check").click()
    assert verdict(article).startswith("Right!")
    assert opened.score("cnn") == ("1", "1") and opened.score("") == ("1", "1")
    assert article.locator("input.right").count() == 2


def test_a_named_mistake_is_marked_wrong_and_named(opened, pools):
    variant = pools[0][0]
    mistake = next(m for m in variant.mistakes if m.name == "no_plus_one")
    article = opened.question(1)
    for i, answer in enumerate(variant.answers):
        typed = mistake.rounded if answer.spec.name == mistake.answer else answer.rounded
        article.locator("input").nth(i).fill(flat_rounded(typed))
    article.locator("button.check").click()
    text = verdict(article)
    assert text.startswith("Not right yet.")
    assert f"It looks like you {mistake.label}:" in text and "the first position of the kernel counts too" in text
    assert article.locator(".mistake-feedback math").count() == 1  # the feedback's $+1$, as MathML
    assert opened.score("cnn") == ("0", "1")
    # a second try is marked, but the first check is what counts
    for i, answer in enumerate(variant.answers):
        article.locator("input").nth(i).fill(flat_rounded(answer.rounded))
    article.locator("button.check").click()
    article.locator(".feedback .verdict.right").wait_for()
    assert opened.score("cnn") == ("0", "1")


def test_multiple_choice_names_the_mistake_of_a_wrong_option(opened, pools):
    variant = pools[1][0]
    wrong = next(o for o in variant.options if not o.correct)
    article = opened.question(2)
    article.locator(f'input[type=radio][value="{wrong.label}"]').check()
    article.locator("button.check").click()
    text = verdict(article)
    assert f"{wrong.label}) is not right. It looks like you {wrong.source.label}:" in text
    right = next(o for o in variant.options if o.correct)
    article.locator(f'input[type=radio][value="{right.label}"]').check()
    article.locator("button.check").click()
    article.locator(".feedback .verdict.right").wait_for()


def test_vectors_concepts_and_matching(opened, pools):
    softmax = pools[2][0]
    article = opened.question(3)
    probabilities, predicted = (flat_rounded(a.rounded) for a in softmax.answers)
    values = probabilities.split()
    values[-1] = str(Fraction(values[-1]) + Fraction(1, 20))
    article.locator("input").nth(0).fill("[" + ", ".join(values) + "]")
    article.locator("input").nth(1).fill(predicted)
    article.locator("button.check").click()
    assert f"(element {len(values)} of {len(values)} off)" in verdict(article)

    concept = pools[3][0]
    article = opened.question(4)
    article.locator(f'input[type=radio][value="{next(o.label for o in concept.options if o.correct)}"]').check()
    article.locator("button.check").click()
    assert verdict(article).startswith("Right!")

    matching = pools[4][0]
    article = opened.question(5)
    pairs = matching.answers[0].value
    rights = matching_columns(matching)[1]  # the right column as shown, its distractor included
    for i, (_, right) in enumerate(pairs):
        article.locator("select").nth(i).select_option(str(rights.index(right)))
    article.locator("button.check").click()
    assert verdict(article).startswith("Right!")
    assert opened.score("concepts") == ("2", "2") and opened.score("multiclass") == ("0", "1")


def test_garbage_gets_a_hint_and_no_mark(opened):
    article = opened.question(1)
    article.locator("input").nth(0).fill("abc")
    article.locator("input").nth(1).fill("")
    article.locator("button.check").click()
    article.locator(".feedback .incomplete").wait_for()
    hints = article.locator(".hint")
    assert hints.nth(0).inner_text().startswith("cannot read 'abc'")
    assert hints.nth(1).inner_text().startswith("type an answer")
    assert article.locator('input[aria-invalid="true"]').count() == 2
    assert opened.score("cnn") == ("0", "0")


def test_the_worked_solution_is_revealed(opened, pools):
    variant = pools[0][0]
    article = opened.question(1)
    solution = article.locator(".solution")
    assert solution.is_hidden()
    article.locator("button.reveal").click()
    solution.wait_for(state="visible")
    text = solution.inner_text()
    assert "Worked solution" in text
    for step in variant.steps():
        assert step.label in text
    for answer in variant.answers:
        assert f"{answer.spec.label}: {flat_rounded(answer.rounded)}" in text
    assert solution.locator("math").count() == len(variant.steps())
    assert article.locator("button.reveal").inner_text() == "Hide solution"
    assert opened.score("cnn") == ("0", "1")  # seen before a right check: counted, not right


def test_another_variant_comes_from_the_pool(opened, pools):
    first, second = pools[0][0], pools[0][1]
    assert first.code in opened.question(1).inner_text()
    opened.question(1).locator("button.another").click()
    shown = opened.question(1)
    assert second.code in shown.inner_text() and first.code not in shown.inner_text()
    for _ in range(2):
        opened.question(1).locator("button.another").click()
    assert first.code in opened.question(1).inner_text()  # the pool wraps round


def test_no_request_leaves_the_page(browser, page_file):
    page = Opened(browser, page_file)
    try:
        page.question(1).locator("button.reveal").click()
        page.question(1).locator(".solution").wait_for(state="visible")
        page.question(2).locator("button.another").click()
        page.tab.wait_for_timeout(200)
        assert page.requests and set(page.requests) == {page.url}
        assert not page.errors
    finally:
        page.context.close()


def test_screenshots(browser, page_file, pools, tmp_path):
    """Desktop and phone, after a wrong answer and a revealed solution (QUIZGEN_SCREENSHOTS=DIR keeps them)."""
    folder = Path(os.environ.get("QUIZGEN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    views = {
        "desktop": {"viewport": {"width": 1280, "height": 1000}},
        "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
    }
    variant = pools[2][0]
    mistake = next(m for m in variant.mistakes if m.answer == variant.answers[0].spec.name)
    for name, options in views.items():
        page = Opened(browser, page_file, **options)
        try:
            article = page.question(3)
            article.locator("input").nth(0).fill(flat_rounded(mistake.rounded))
            article.locator("input").nth(1).fill(flat_rounded(variant.answers[1].rounded))
            article.locator("button.check").click()
            verdict(article)
            article.locator("button.reveal").click()
            article.locator(".solution").wait_for(state="visible")
            article.scroll_into_view_if_needed()
            page.tab.locator("#q3").evaluate("node => node.scrollIntoView()")
            shot = folder / f"selftest-{name}.png"
            page.tab.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            width = page.tab.evaluate("document.documentElement.scrollWidth")
            assert width <= options["viewport"]["width"], f"{name}: the page scrolls sideways ({width}px)"
        finally:
            page.context.close()


# ---------------------------------------------------------------------------
# The page's JavaScript reads and marks exactly as Python does


def _responses(answer, mistakes, rng: random.Random) -> list[str]:
    """Typed answers around the key: the key, the mistakes, the tolerance's edges, random nearby values, slips."""
    exact = _flat_fractions(exact_text(answer.value))
    tolerance = _flat_fractions(tolerance_text(answer.tolerance))
    shape = answer_shape(answer)
    texts = [flat_rounded(answer.rounded)] + [flat_rounded(m.rounded) for m in mistakes]

    def layout(values: list[Fraction], style: int, exactly: bool = False) -> str:
        written = [str(v) if exactly else _write(v, rng) for v in values]
        if len(shape) == 2:
            rows = [written[r * shape[1] : (r + 1) * shape[1]] for r in range(shape[0])]
            return "; ".join(" ".join(row) for row in rows) if style else "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"
        if len(shape) == 1:
            return " ".join(written) if style else "[" + ", ".join(written) + "]"
        return written[0]

    for factor in (Fraction(0), Fraction(1, 2), Fraction(1), Fraction(-1), Fraction(3, 2), Fraction(-2)):
        texts.append(layout([e + factor * t for e, t in zip(exact, tolerance)], rng.randrange(2)))
    for digits in (20, 26, 27, 29, 31, 45):  # just inside and outside the tolerance, written exactly
        for factor in (1 - Fraction(1, 10**digits), 1 + Fraction(1, 10**digits), -1 - Fraction(1, 10**digits)):
            texts.append(layout([e + factor * t for e, t in zip(exact, tolerance)], rng.randrange(2), exactly=True))
    for _ in range(12):
        values = [e + Fraction(rng.uniform(-3, 3)).limit_denominator(1000) * (t or Fraction(1)) for e, t in zip(exact, tolerance)]
        texts.append(layout(values, rng.randrange(2)))
    texts += ["", "abc", "1 2 3 4 5 6 7", "[1, 2", "1/0", "12e999", "[[1, 2], [3]]", "1 -2", "−0.5", ".5", "5.", "1/3"]
    return texts


def _flat_fractions(value):
    if isinstance(value, list):
        return [x for item in value for x in _flat_fractions(item)]
    return [Fraction(value)]


def _write(value: Fraction, rng: random.Random) -> str:
    """A number as a student might type it: a fraction, a decimal, or with an exponent."""
    style = rng.randrange(4)
    if style == 0 or value.denominator == 1:
        return str(value)
    if style == 1:
        return f"{float(value):.{rng.randrange(1, 8)}f}"
    if style == 2:
        return f"{float(value):.4e}"
    digits = 10**40
    return str(Fraction(round(value * digits), digits).limit_denominator(10**40)) if rng.randrange(2) else f"{float(value):.17g}"


def test_javascript_and_python_read_and_mark_alike(browser, bank, tmp_path):
    matrix_bank = tmp_path / "bank" / "selftest"
    matrix_bank.mkdir(parents=True)
    (matrix_bank / "matrix.yaml").write_text(MATRIX_TEMPLATE)
    templates = [t for _, t in sorted(bank.templates.items()) if t.kind not in ("concept", "matching", "multichoice")]
    pools = [list(generate(t, 1, 7)) for t in templates] + [list(generate(load_bank(tmp_path / "bank").get("selftest.matrix"), 3, 7))]
    path = tmp_path / "all.html"
    path.write_text(render_selftest(pools, seed=7), encoding="utf-8")
    page = Opened(browser, path)
    rng = random.Random(2026)
    cases, expected = [], []
    number = 0
    for pool in pools:
        for variant in pool:
            for index, answer in enumerate(variant.answers):
                mistakes = [m for m in variant.mistakes if m.answer == answer.spec.name]
                shape = answer_shape(answer)
                wanted = describe_shape(answer.spec.kind, shape)
                for text in _responses(answer, mistakes, rng):
                    cases.append([number, index, text, answer.spec.kind, list(shape), wanted])
                    expected.append(_python_mark(variant, answer, text))
            number += 1
    try:
        results = page.tab.evaluate(
            """async (cases) => {
                const blobs = Array.from(document.querySelectorAll("article.variant"), a => a.getAttribute("data-secret"));
                const hidden = await Promise.all(blobs.map((blob, i) => QuizgenSelfTest.unscramble(blob, i)));
                return cases.map(([number, index, text, kind, shape, wanted]) =>
                    QuizgenSelfTest.mark(hidden[number].answers[index], text, kind, shape, wanted));
            }""",
            cases,
        )
        assert not page.errors, page.errors
    finally:
        page.context.close()
    disagreements = [(case[2], want, got) for case, want, got in zip(cases, expected, results) if want != got]
    assert not disagreements, f"{len(disagreements)} of {len(cases)} differ, e.g. {disagreements[:3]}"
    marked = [r for r in results if "right" in r]
    assert len(cases) > 2000 and sum(r["right"] for r in marked) > 200 and sum(not r["right"] for r in marked) > 1000
    assert sum(r["mistake"] is not None for r in marked) > 50


def _python_mark(variant, answer, text: str) -> dict:
    try:
        response = read_blank(answer, text)
    except ResponseError as hint:
        return {"hint": str(hint)}
    mark = mark_blank(variant, answer, response)
    off = [i + 1 for i, ok in enumerate(mark.elements or [mark.right]) if not ok]
    return {"right": mark.right, "off": off if mark.elements is not None else [], "mistake": mark.mistake.label if mark.mistake else None}


def test_javascript_and_python_read_the_same_texts(browser, page_file):
    texts = [
        "0.25", "1/4", "2.5e-1", ".25", "-.5", "+3", "5.", "1 / 4", "-1/-4", "1.5/3", "2E3", "1e-300", "1e301", "[7]", "[[7]]",
        "0.1 0.2", "[0.1, 0.2]", "0.1,0.2", "(1, 2)", "1 2; 3 4", "[1 2; 3 4]", "[[1, 2], [3, 4]]", "[[1], [2]]",
        "", " ", "abc", "nan", "inf", "0x10", "1_000", "3e", "1/0", "[1, 2", "1 2 ] [", "[1] [2]", "[]", "[[1, 2], [3]]",
        "[[1, 2], 3]", "1 2;", ";", "1;;2", "\u22120.5", "1\u00a02", "1\t2\n3", ":\n0", "1 /\n 0", "١٢", "１２", "1" * 2001, "((1))", "[(1, 2), (3, 4)]",
    ]
    shapes = [("number", []), ("vector", [2]), ("vector", [4]), ("matrix", [2, 2]), ("integer", [])]
    cases = [[text, kind, shape, describe_shape(kind, tuple(shape))] for text in texts for kind, shape in shapes]
    page = Opened(browser, page_file)
    try:
        results = page.tab.evaluate("cases => cases.map(([t, k, s, w]) => QuizgenSelfTest.read(t, k, s, w))", cases)
    finally:
        page.context.close()
    for (text, kind, shape, wanted), got in zip(cases, results):
        try:
            value = fit_shape(parse_response(text), kind, tuple(shape))
            want = {"value": _fraction_text(value)}
        except ResponseError as hint:
            want = {"hint": str(hint)}
        assert got == want, (text, kind, shape)


def _fraction_text(value):
    if isinstance(value, list):
        return [_fraction_text(item) for item in value]
    return str(value)


# ---------------------------------------------------------------------------
# Hostile text: classic XSS payloads in every field a bank sets stay text


XSS = [
    "<script>window.__xss = 1</script>", "<img src=x onerror=\"window.__xss = 2\">", "\"><svg onload=window.__xss=3>",
    "<svg/onload=window.__xss=4>", "<a href=\"javascript:window.__xss=7\">link</a>", "]]><iframe srcdoc='<script>parent.__xss=5</script>'>",
    "</textarea></style></script><body onload=window.__xss=6>",
]

XSS_TEMPLATE = """\
id: evil.xss
title: 'Title {0}'
topic: evil
section: 1
difficulty: 1
kind: multichoice
variables:
  - {{name: a, draw: "int(min_value=2, max_value=90)"}}
  - {{name: b, value: a + 1, label: 'Add one {1}'}}
text: |
  Question {0} and {2} with $\\text{{{3}}}$ and {{@a@}}.
solution: 'Solution {4} {5}'
answers:
  - {{name: b, kind: integer, label: 'answer {1}'}}
mistakes:
  - {{name: m1, label: 'mistake {2}', value: a + 2, feedback: 'feedback {0} {3}'}}
  - {{name: m2, label: 'mistake {4}', value: a + 3, feedback: 'second {5}'}}
  - {{name: m3, label: 'mistake three {6}', value: a + 4, feedback: 'third {1}'}}
"""


def test_xss_payloads_in_a_bank_stay_text_in_a_real_browser(browser, tmp_path):
    quoted = [payload.replace("'", "''") for payload in XSS]
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "xss.yaml").write_text(XSS_TEMPLATE.format(*quoted), encoding="utf-8")
    template = load_bank(tmp_path).get("evil.xss")
    path = tmp_path / "page.html"
    path.write_text(render_selftest([list(generate(template, 3, 0))], seed=0, title=XSS[0]), encoding="utf-8")
    page = Opened(browser, path)
    dialogs = []
    page.tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    article = page.question(1)
    for option in range(4):  # every option's feedback, then the solution
        article.locator("input").nth(option).check()
        article.locator("button.check").click()
    article.locator("button.reveal").click()
    shown = page.tab.locator("body").inner_text()
    assert page.tab.evaluate("window.__xss") is None and not dialogs
    assert page.tab.locator("script").count() == 1  # the page's own
    assert page.tab.locator("img, svg, iframe, a[href^='javascript'], [onerror], [onload]").count() == 0
    assert "<script>window.__xss = 1</script>" in shown and "onerror" in shown
    assert set(page.requests) <= {page.url}, page.requests
    page.context.close()

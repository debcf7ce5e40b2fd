"""``quizgen export html``: one self-contained self-test page that works offline and on a phone.

Everything the page needs is inside the file: the CSS, the JavaScript that marks answers,
and the math, converted to MathML (which browsers draw natively) with ``latex2mathml`` at
export time. A Content-Security-Policy forbids every network request.

The page marks with the exports' rule: |response − exact| ≤ absolute tolerance, element
by element, on exact rationals (JavaScript BigInt), from the exact answers and tolerances
written here. What would give the answer away (the exact answers, the right option, the
worked solution, the mistakes' values and feedback) is deflated, XOR-ed with a keystream
drawn from a per-page key and base64-encoded, so it cannot be read in the page source. The
key is in the page too: this stops casual reading, not a determined student with a debugger.
"""

from __future__ import annotations

import base64
import hashlib
import html.parser
import json
import re
import zlib
from typing import Any, Iterator
from xml.etree import ElementTree

import sympy
from latex2mathml.converter import convert as latex_to_mathml
from markupsafe import Markup, escape

from ..engine.figures import variant_figures
from ..engine.generate import Answer, Variant, answer_shape, matching_columns
from ..engine.values import is_array, to_decimal
from ..errors import RenderError
from . import prose
from .figures import figure_svg
from .render import environment
from .typed import describe_shape, flat_rounded

_MASK = 0xFFFFFFFF
_ENTITY = re.compile(r"&#x([0-9A-Fa-f]+);")
_XMLNS = ' xmlns="http://www.w3.org/1998/Math/MathML"'


# ---------------------------------------------------------------------------
# Math and prose as HTML


def math_html(tex: str, display: bool = False) -> Markup:
    """TeX math as MathML; TeX that latex2mathml cannot read is shown as TeX, never lost."""
    try:
        mathml = latex_to_mathml(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds; the TeX itself is still worth showing
        return Markup('<code class="tex">{}</code>').format(tex)
    if not is_plain_mathml(mathml):  # latex2mathml copies \\text{...} into the page unescaped
        return Markup('<code class="tex">{}</code>').format(tex)
    mathml = Markup(_ENTITY.sub(_character, mathml.replace(_XMLNS, "")))
    return Markup('<span class="math-display">{}</span>').format(mathml) if display else mathml


_MATHML_ELEMENTS = frozenset(
    "math mrow mi mn mo mtext ms mspace msub msup msubsup mfrac msqrt mroot mstyle mtable mtr mtd munder mover "
    "munderover mpadded mphantom menclose mfenced merror semantics annotation".split()
)
_MATHML_ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence separator separators lspace rspace width height depth columnalign rowalign "
    "rowspacing columnspacing columnlines rowlines frame displaystyle scriptlevel minsize maxsize movablelimits "
    "accent accentunder linethickness notation form largeop symmetric align open close encoding".split()
)


def is_plain_mathml(mathml: str) -> bool:
    """Whether latex2mathml's output is MathML and only MathML: well-formed, known elements and attributes.

    latex2mathml writes the contents of \\text{...} as they are, so \\text{<svg/onload=...>}
    would reach the page as an element. Such output is refused, and the TeX is shown instead.
    """
    try:
        root = ElementTree.fromstring(mathml)
    except ElementTree.ParseError:
        return False
    for element in root.iter():
        name = element.tag.rpartition("}")[2]
        if name not in _MATHML_ELEMENTS or not set(element.attrib) <= _MATHML_ATTRIBUTES:
            return False
    return True


def _character(match: re.Match) -> str:
    """latex2mathml writes '=' as '&#x0003D;': the character itself is a ninth of the size."""
    character = chr(int(match.group(1), 16))
    return match.group(0) if character in "<>&\"'" or not character.isprintable() else character


def prose_html(text: str, inline: bool = False) -> Markup:
    """Prose with $...$ and $$...$$ math (split by quizgen.formats.prose): escaped text, MathML math, paragraphs at blank lines.

    ``inline`` leaves a one-paragraph text unwrapped, to run on after a label (feedback).
    """
    paragraphs = []
    for segments in prose.paragraphs(text):
        parts = []
        for kind, body in segments:
            parts.append(escape(body) if kind == "text" else math_html(body, display=kind == "display"))
        paragraphs.append(Markup("").join(parts))
    if inline and len(paragraphs) == 1:
        return paragraphs[0]
    return Markup("\n").join(Markup("<p>") + paragraph + Markup("</p>") for paragraph in paragraphs)


# ---------------------------------------------------------------------------
# Exact numbers as text the page's JavaScript reads


def exact_text(value: Any) -> Any:
    """'p/q' for a rational, else a decimal of 60 significant digits (nested lists for arrays).

    The page tells them apart by the point: ``within`` compares a difference with an
    irrational (a sympy Float) to 30 significant digits, and with a fraction to 40.
    """
    if is_array(value):
        return [exact_text(item) for item in value]
    if isinstance(value, list):
        return [exact_text(item) for item in value]
    if isinstance(value, sympy.Rational):
        return str(value)
    return str(to_decimal(value))


def tolerance_text(tolerance: Any) -> Any:
    """The absolute tolerance as the Decimal that ``within`` compares with (``to_decimal(tolerance, 30)``)."""
    if isinstance(tolerance, list) or is_array(tolerance):
        return [tolerance_text(item) for item in tolerance]
    return str(to_decimal(sympy.sympify(tolerance), 30))


# ---------------------------------------------------------------------------
# Obfuscation: XOR with a keystream, then base64 (casual reading only)


def _keystream(seed: int) -> Iterator[int]:
    """mulberry32, one byte per step: the page's JavaScript runs the same few lines."""
    state = seed & _MASK
    while True:
        state = (state + 0x6D2B79F5) & _MASK
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & _MASK
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & _MASK)) & _MASK) ^ t
        yield ((t ^ (t >> 14)) & _MASK) >> 24


def variant_seed(page_key: int, number: int) -> int:
    return ((number * 0x9E3779B1) & _MASK) ^ page_key


def obfuscate(data: Any, page_key: int, number: int) -> str:
    """JSON, deflated (the worked steps' MathML shrinks six-fold), XOR-ed, base64."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: the browser's DecompressionStream("deflate-raw")
    packed = deflate.compress(raw) + deflate.flush()
    stream = _keystream(variant_seed(page_key, number))
    return base64.b64encode(bytes(byte ^ next(stream) for byte in packed)).decode("ascii")


def deobfuscate(blob: str, page_key: int, number: int) -> Any:
    stream = _keystream(variant_seed(page_key, number))
    packed = bytes(byte ^ next(stream) for byte in base64.b64decode(blob))
    return json.loads(zlib.decompress(packed, -15).decode("utf-8"))


def page_key(pools: list[list[Variant]], seed: int) -> int:
    """A key that depends only on what the page holds, so the same export is byte-identical."""
    digest = hashlib.sha256(json.dumps([seed, [[v.template.id, v.code] for pool in pools for v in pool]]).encode()).digest()
    return int.from_bytes(digest[:4], "big")


# ---------------------------------------------------------------------------
# One variant: what the page shows, and what it hides


def _answer_key(answer: Answer) -> str:
    """The key as a student would type it; a matrix one row per line (the page keeps the line breaks)."""
    unit = f" {answer.spec.unit}" if answer.spec.unit else ""
    if answer.spec.kind == "matrix":
        return "\n" + "\n".join(" ".join(row) for row in answer.rounded) + unit
    return f"{flat_rounded(answer.rounded)}{unit}"


def _numeric(variant: Variant) -> tuple[list[dict], list[dict]]:
    shown, hidden = [], []
    for answer in variant.answers:
        shape = answer_shape(answer)
        shown.append({"name": answer.spec.name, "label": answer.spec.label, "kind": answer.spec.kind, "shape": list(shape), "unit": answer.spec.unit, "hint": describe_shape(answer.spec.kind, shape)})
        mistakes = [
            {"label": m.label, "exact": exact_text(m.value), "rounded": m.rounded, "feedback": str(prose_html(m.feedback, inline=True))}
            for m in variant.mistakes
            if m.answer == answer.spec.name
        ]
        hidden.append({"exact": exact_text(answer.value), "tol": tolerance_text(answer.tolerance), "key": _answer_key(answer), "mistakes": mistakes})
    return shown, hidden


def figures_html(variant: Variant, part: str) -> Markup:
    """The variant's figures for ``part`` as inline SVG with their captions (the SVG's text is escaped when drawn).

    Inline, the SVG needs no namespace (HTML puts <svg> in it), and the page names no URL.
    """
    return Markup("").join(
        Markup('<figure class="figure">{}<figcaption>{}</figcaption></figure>').format(Markup(figure_svg(figure, part).replace(_SVG_NAMESPACE, "", 1)), figure.caption)
        for figure in variant_figures(variant, part)
    )


_SVG_NAMESPACE = ' xmlns="http://www.w3.org/2000/svg"'



def _steps(variant: Variant) -> str:
    parts = [figures_html(variant, "solution"), Markup("<ol>")]
    for step in variant.steps():
        parts.append(Markup("<li><span class=\"step-label\">{}</span>{}</li>").format(step.label, math_html(step.tex, display=True)))
    parts.append(Markup("</ol>"))
    if variant.solution:
        parts.append(prose_html(variant.solution))
    return str(Markup("").join(parts))


def variant_view(variant: Variant, key: int, number: int) -> dict[str, Any]:
    """The public part of a variant (for the template) with its hidden part as an obfuscated blob."""
    kind = variant.template.kind
    view: dict[str, Any] = {"code": variant.code, "kind": kind, "text": prose_html(variant.text), "number": number, "figures": figures_html(variant, "question")}
    hidden: dict[str, Any] = {"steps": _steps(variant)}
    if kind in ("multichoice", "concept"):
        view["options"] = [{"label": o.label, "html": escape(o.rounded) if kind == "concept" else math_html(o.tex)} for o in variant.options]
        correct = next(o for o in variant.options if o.correct)
        hidden["correct"] = correct.label
        hidden["key"] = f"{correct.label}) {correct.rounded if kind == 'concept' else flat_rounded(correct.rounded)}"
        hidden["options"] = {o.label: {"label": o.source.label, "feedback": str(prose_html(o.source.feedback, inline=True))} for o in variant.options if o.source is not None}
    elif kind == "matching":
        lefts, rights = matching_columns(variant)
        partner = dict(variant.answers[0].value)
        view["lefts"], view["rights"], view["columns"] = lefts, rights, list(variant.template.columns)
        hidden["pairs"] = [rights.index(partner[left]) for left in lefts]
        hidden["key"] = "; ".join(f"{left} → {partner[left]}" for left in lefts)
    else:
        view["answers"], hidden["answers"] = _numeric(variant)
    view["secret"] = obfuscate(hidden, key, number)
    return view


# ---------------------------------------------------------------------------
# The page


PAGE_SCHEMA = "quizgen.selftest-page/1"
ATTEMPT_SCHEMA = "quizgen.selftest-attempt/1"


def page_info(pools: list[list[Variant]], seed: int, title: str, bank_fingerprint: str) -> dict[str, Any]:
    """What ``quizgen grade`` needs to mark the attempts saved on this page: its questions' templates
    and variant codes (shown on the page anyway), never an answer; the bank rebuilds each variant."""
    return {
        "schema": PAGE_SCHEMA,
        "key": page_key(pools, seed),
        "title": title,
        "seed": seed,
        "bank_fingerprint": bank_fingerprint,
        "questions": [{"template": pool[0].template.id, "codes": [v.code for v in pool]} for pool in pools],
    }


def info_json(info: dict[str, Any]) -> str:
    """The page information as JSON, for the body's data-quizgen-page attribute (escaped there by Jinja)."""
    return json.dumps(info, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def render_selftest(pools: list[list[Variant]], seed: int, title: str = "Self-test", bank_fingerprint: str = "") -> str:
    """The whole page as one string; checked (no external reference, every secret decodes) before it is returned."""
    if not pools or not all(pools):
        raise RenderError("the self-test page needs at least one variant of each question")
    key = page_key(pools, seed)
    questions, number = [], 0
    for pool in pools:
        template = pool[0].template
        views = []
        for variant in pool:
            views.append(variant_view(variant, key, number))
            number += 1
        questions.append({"id": template.id, "title": template.title, "topic": template.topic, "section": template.section, "variants": views})
    topics = sorted({q["topic"] for q in questions})
    env = environment("html")
    page = env.get_template("selftest.html.j2").render(
        title=title,
        seed=seed,
        questions=questions,
        topics=topics,
        page_key=key,
        info=info_json(page_info(pools, seed, title, bank_fingerprint)),
        css=Markup(_asset(env, "selftest.css")),
        script=Markup(_asset(env, "selftest.js")),
    )
    check_page(page, key, number)
    return page


def _asset(env, name: str) -> str:
    """A CSS or JS file of templates/html, inlined as it is (not a Jinja template)."""
    source = env.loader.get_source(env, name)[0]
    if "</" + ("style" if name.endswith(".css") else "script") in source.lower():
        raise RenderError(f"templates/html/{name} must not contain a closing tag")
    return source


class _References(html.parser.HTMLParser):
    """Every attribute that would make a browser fetch something."""

    FETCHING = {"src", "href", "action", "formaction", "poster", "srcset", "data", "background", "ping"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.secrets = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.FETCHING and value and not value.startswith("#"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "data-secret":
                self.secrets += 1


def check_page(page: str, key: int, expected: int) -> None:
    """Refuse a page that would fetch anything, or whose hidden answers do not decode."""
    parser = _References()
    parser.feed(page)
    parser.close()
    if parser.found:
        raise RenderError(f"self-test page would fetch {parser.found[0]}: it must be self-contained")
    if re.search(r"url\(|@import", page):
        raise RenderError("self-test page CSS refers to an external resource")
    if parser.secrets != expected:
        raise RenderError(f"self-test page holds {parser.secrets} variants, expected {expected}")
    for number, blob in enumerate(re.findall(r'data-secret="([^"]*)"', page)):
        deobfuscate(blob, key, number)

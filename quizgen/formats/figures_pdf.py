"""A figure's SVG as a one-page PDF, written directly (for the LaTeX sources' \\includegraphics).

The SVG is quizgen's own (quizgen.formats.figures): rectangles, lines, polylines,
polygons, circles and text, in one coordinate system, with no transforms. Each element
becomes the same PDF drawing operators, so the LaTeX paper shows the drawing every other
output shows. Text is set in the PDF's standard Helvetica (WinAnsi, not embedded; Greek from
the standard Symbol font, subscript digits as small lowered digits), placed with Helvetica's
own widths so centred and right-aligned labels sit where the SVG puts them.

Converting the SVG with a general renderer (Typst, cairosvg) costs 5-15 ms a figure, nearly
all of it text; this takes a fraction of a millisecond, so the figures' PDFs cost the exam
build little. No date and no /ID: the same SVG gives the same bytes.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from xml.etree import ElementTree

from ..errors import RenderError

_SVG = "{http://www.w3.org/2000/svg}"
SCALE = 0.75  # SVG px (1/96 in) to PDF points (1/72 in)

# Advance widths (1/1000 em) of characters 32-126 in Helvetica and Helvetica-Bold (Adobe's AFM files).
_HELVETICA = [
    278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 222, 556, 556, 500, 556, 556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]
_HELVETICA_BOLD = [
    278, 333, 474, 556, 556, 889, 722, 278, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 278, 556, 611, 556, 611, 556, 333, 611,
    611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
]
_WIN_ANSI = {"×": (0xD7, 584), "·": (0xB7, 278), "−": (0x2D, 333), "–": (0x96, 556), "é": (0xE9, 556)}
# Greek letters of the standard Symbol font: the letter it is under, and its width.
_GREEK = {
    "α": ("a", 631), "β": ("b", 549), "γ": ("g", 411), "δ": ("d", 494), "ε": ("e", 439), "η": ("h", 603), "θ": ("q", 521),
    "λ": ("l", 549), "μ": ("m", 576), "π": ("p", 549), "σ": ("s", 603), "τ": ("t", 439), "φ": ("f", 521), "ω": ("w", 686),
    "Σ": ("S", 592), "Δ": ("D", 612),
}
_SUBSCRIPTS = {chr(0x2080 + d): str(d) for d in range(10)} | {"₍": "(", "₎": ")"}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾", "0123456789()"))


def _number(x: float) -> str:
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_NUMBERS: dict[str, str] = {}  # an attribute's text -> _number(float(text)): coordinates recur within and across figures


def _attribute_number(text: str) -> str:
    """``_number`` of an attribute's value, kept by its text (the same text is the same number)."""
    number = _NUMBERS.get(text)
    if number is None:
        number = _number(float(text))
        if len(_NUMBERS) < 65536:
            _NUMBERS[text] = number
    return number


def _colour(value: str | None) -> tuple[float, float, float] | None:
    """None for 'none'; currentColor is black (as in Typst and cairosvg)."""
    if value is None or value == "none":
        return None
    if value.startswith("#") and len(value) == 7:
        return tuple(int(value[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]
    return (0.0, 0.0, 0.0)


def _runs(text: str, bold: bool, size: float) -> list[tuple[str, float, float, bytes, float]]:
    """(font, size, rise, bytes, width in points) runs: Helvetica, Symbol for Greek, small lowered digits for subscripts."""
    widths = _HELVETICA_BOLD if bold else _HELVETICA
    font = "F2" if bold else "F1"
    runs: list[tuple[str, float, float, bytearray, float]] = []

    def add(run_font: str, run_size: float, rise: float, code: int, width: int) -> None:
        if runs and runs[-1][0] == run_font and runs[-1][1] == run_size and runs[-1][2] == rise:
            last = runs[-1]
            last[3].append(code)
            runs[-1] = (last[0], last[1], last[2], last[3], last[4] + width * run_size / 1000)
        else:
            runs.append((run_font, run_size, rise, bytearray([code]), width * run_size / 1000))

    for character in text:
        if 32 <= ord(character) <= 126:
            add(font, size, 0.0, ord(character), widths[ord(character) - 32])
        elif character in _WIN_ANSI:
            code, width = _WIN_ANSI[character]
            add(font, size, 0.0, code, width)
        elif character in _GREEK:
            letter, width = _GREEK[character]
            add("F3", size, 0.0, ord(letter), width)
        elif character in _SUBSCRIPTS:
            add(font, size * 0.7, -size * 0.2, ord(_SUBSCRIPTS[character]), widths[ord(_SUBSCRIPTS[character]) - 32])
        elif character in _SUPERSCRIPTS:
            add(font, size * 0.7, size * 0.35, ord(_SUPERSCRIPTS[character]), widths[ord(_SUPERSCRIPTS[character]) - 32])
        else:
            add(font, size, 0.0, ord("?"), widths[ord("?") - 32])
    return [(f, s, r, bytes(b), w) for f, s, r, b, w in runs]


def _escape(data: bytes) -> bytes:
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


class _Page:
    def __init__(self) -> None:
        self.ops: list[str] = []
        self.alphas: dict[tuple[float, bool], str] = {}
        self.styles: dict[tuple, tuple[str, str] | None] = {}  # an element's paint attributes -> the operators around its path

    def style(self, element: ElementTree.Element, closed: bool) -> tuple[str, str] | None:
        """The operators before and after an element's path (None: nothing to paint), made once per page for each set of attributes.

        The same as ``paint`` writes: the opacity states are named on this page in the order first used.
        """
        get = element.get
        key = (closed, get("fill"), get("stroke"), get("fill-opacity"), get("stroke-opacity"), get("stroke-width"), get("stroke-dasharray"))
        try:
            return self.styles[key]
        except KeyError:
            pass
        marker = "\x00"
        recorded: list[str] = []
        ops, self.ops = self.ops, recorded
        try:
            self.paint(element, marker, closed)
        finally:
            self.ops = ops
        style = tuple(recorded[0].split(marker)) if recorded else None  # type: ignore[assignment]
        self.styles[key] = style
        return style

    def painted(self, element: ElementTree.Element, path: str, closed: bool) -> None:
        """``paint``, with the operators around the path made once per set of attributes."""
        style = self.style(element, closed)
        if style is not None:
            self.ops.append(style[0] + path + style[1])

    def alpha(self, value: float, stroke: bool = False) -> str:
        """The name of the graphics state that sets the fill (or, with ``stroke``, the line) opacity."""
        key = (round(value, 3), stroke)
        if key not in self.alphas:
            self.alphas[key] = f"A{len(self.alphas)}"
        return self.alphas[key]

    def paint(self, element: ElementTree.Element, path: str, closed: bool) -> None:
        fill = _colour(element.get("fill", "none" if not closed else "currentColor"))
        stroke = _colour(element.get("stroke"))
        if fill is None and stroke is None:
            return
        ops = ["q"]
        opacity = element.get("fill-opacity")
        if fill is not None and opacity is not None and float(opacity) < 1:
            if float(opacity) <= 0 and stroke is None:
                return
            ops.append(f"/{self.alpha(float(opacity))} gs")
        line_opacity = element.get("stroke-opacity")
        if stroke is not None and line_opacity is not None and float(line_opacity) < 1:
            ops.append(f"/{self.alpha(float(line_opacity), stroke=True)} gs")
        if fill is not None:
            ops.append("{} {} {} rg".format(*map(_number, fill)))
        if stroke is not None:
            ops.append("{} {} {} RG".format(*map(_number, stroke)))
            ops.append(f"{_number(float(element.get('stroke-width', '1')))} w")
            dash = element.get("stroke-dasharray")
            if dash:
                ops.append(f"[{' '.join(_number(float(d)) for d in dash.split())}] 0 d")
        ops.append(path)
        if fill is not None and stroke is not None:
            ops.append("B")
        elif fill is not None:
            ops.append("f")
        else:
            ops.append("S")
        ops.append("Q")
        self.ops.append(" ".join(ops))

    def text(self, element: ElementTree.Element) -> None:
        content = element.text or ""
        if not content:
            return
        width, shown = _shown_text(content, element.get("font-weight") == "bold", float(element.get("font-size", "12")))
        x, y = float(element.get("x", "0")), float(element.get("y", "0"))
        anchor = element.get("text-anchor", "start")
        x -= width if anchor == "end" else width / 2 if anchor == "middle" else 0
        self.ops.append(" ".join(("BT", _text_colour(element.get("fill", "currentColor")), f"1 0 0 -1 {_number(x)} {_number(y)} Tm", shown, "ET")))


@lru_cache(maxsize=4096)
def _shown_text(content: str, bold: bool, size: float) -> tuple[float, str]:
    """A text's width in points and the operators that show it, run by run (a figure's labels recur across its variants)."""
    runs = _runs(content, bold, size)
    ops = []
    for font, run_size, rise, data, _ in runs:
        ops.append(f"/{font} {_number(run_size)} Tf {_number(rise)} Ts")
        ops.append("(" + _escape(data).decode("latin-1") + ") Tj")
    return sum(run[4] for run in runs), " ".join(ops)


_SEPARATORS = re.compile(r"[ ,]+")


@lru_cache(maxsize=256)
def _text_colour(fill: str) -> str:
    """The fill operator of a text's colour (black when it has none)."""
    colour = _colour(fill) or (0.0, 0.0, 0.0)
    return "{} {} {} rg".format(*map(_number, colour))


def _circle_path(cx: float, cy: float, r: float) -> str:
    k = 0.5523 * r
    n = _number
    return (
        f"{n(cx + r)} {n(cy)} m {n(cx + r)} {n(cy + k)} {n(cx + k)} {n(cy + r)} {n(cx)} {n(cy + r)} c "
        f"{n(cx - k)} {n(cy + r)} {n(cx - r)} {n(cy + k)} {n(cx - r)} {n(cy)} c "
        f"{n(cx - r)} {n(cy - k)} {n(cx - k)} {n(cy - r)} {n(cx)} {n(cy - r)} c "
        f"{n(cx + k)} {n(cy - r)} {n(cx + r)} {n(cy - k)} {n(cx + r)} {n(cy)} c h"
    )


@lru_cache(maxsize=4096)
def _circle_at(cx: str, cy: str, r: str) -> str:
    """The path of a circle given by its attributes' text (a figure's nodes and points recur)."""
    return _circle_path(float(cx), float(cy), float(r))


@lru_cache(maxsize=1024)
def svg_to_pdf(svg: str) -> bytes:
    """The figure as a PDF page of its size (SVG px as 0.75 pt)."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as error:
        raise RenderError(f"a figure's SVG does not parse ({error})") from None
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    if not (width > 0 and height > 0):
        raise RenderError("a figure's SVG has no size")
    page = _Page()
    n = _number
    a = _attribute_number
    painted = page.painted
    for element in root:
        tag = element.tag.removeprefix(_SVG)
        get = element.get
        if tag == "rect":
            painted(element, f"{a(get('x', '0'))} {a(get('y', '0'))} {a(get('width', '0'))} {a(get('height', '0'))} re", True)
        elif tag == "line":
            painted(element, f"{a(get('x1', '0'))} {a(get('y1', '0'))} m {a(get('x2', '0'))} {a(get('y2', '0'))} l", False)
        elif tag in ("polyline", "polygon"):
            values = [a(v) for v in _SEPARATORS.split(get("points", "").strip()) if v]
            if len(values) < 4:
                continue
            pairs = len(values) // 2
            path = f"{values[0]} {values[1]} m " + " ".join(f"{values[2 * i]} {values[2 * i + 1]} l" for i in range(1, pairs))
            painted(element, path + (" h" if tag == "polygon" else ""), tag == "polygon")
        elif tag == "circle":
            painted(element, _circle_at(get("cx", "0"), get("cy", "0"), get("r", "0")), True)
        elif tag == "text":
            page.text(element)
    # y runs down in the SVG: flip the page once; text is flipped back by its matrix
    content = f"{n(SCALE)} 0 0 {n(-SCALE)} 0 {n(height * SCALE)} cm\n" + "\n".join(page.ops)
    stream = zlib.compress(content.encode("latin-1"), 9)
    states = " ".join(f"/{name} << /Type /ExtGState /{'CA' if stroke else 'ca'} {n(value)} >>" for (value, stroke), name in page.alphas.items())
    fonts = (
        "/F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >> "
        "/F2 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >> "
        "/F3 << /Type /Font /Subtype /Type1 /BaseFont /Symbol >>"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {n(width * SCALE)} {n(height * SCALE)}] "
         f"/Resources << /Font << {fonts} >> /ExtGState << {states} >> >> /Contents 4 0 R >>").encode("latin-1"),
        f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode("latin-1") + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("latin-1") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("latin-1")
    out += b"".join(f"{offset:010d} 00000 n \n".encode("latin-1") for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("latin-1")
    return bytes(out)


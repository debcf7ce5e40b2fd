"""The figures of a paper as PDF files beside its LaTeX sources (``latex/figures/``).

Each figure's SVG (the drawing every output shares, quizgen.formats.figures) is written
as a PDF page of its own size by quizgen.formats.figures_pdf: the same drawing as the Typst
paper's, in a fraction of a millisecond (Typst or cairosvg take 5-15 ms a figure, which
would cost the build more than 10 %). The PDF has no date: the same seed gives the same bytes.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..errors import RenderError
from ..formats.figures_pdf import svg_to_pdf
from .papers import MAX_FIGURE_HEIGHT, MAX_FIGURE_WIDTH

FOLDER = "figures"  # inside latex/, beside the .tex files
_DRAWN: OrderedDict[str, str] = OrderedDict()  # file name -> SVG of the figures named lately (names are content-addressed)
_DRAWN_LIMIT = 4096


def figure_name(paper: dict[str, Any], number: int, index: int, part: str, svg: str) -> str:
    """The figure's PDF, relative to the .tex: per paper, question, figure and part, with its drawing's hash (so a name is one drawing)."""
    digest = hashlib.sha256(svg.encode("utf-8")).hexdigest()[:10]
    name = f"{FOLDER}/{paper['kind']}-{paper['key']}-q{number}-{index + 1}-{part}-{digest}.pdf"
    _DRAWN[name] = svg
    _DRAWN.move_to_end(name)
    while len(_DRAWN) > _DRAWN_LIMIT:
        _DRAWN.popitem(last=False)
    return name


def latex_figures(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(file name relative to the .tex, SVG) of every figure the paper's or key's LaTeX shows."""
    files = []
    for q in document["questions"]:
        for index, figure in enumerate(q.get("figures", [])):
            for part in ("question", "solution"):
                if part in figure:
                    svg = figure[part]["svg"]
                    files.append((figure_name(document["paper"], q["number"], index, part, svg), svg))
    return files


def provide(name: str, beside: Path, folder: Path) -> None:
    """Put the figure ``name`` a LaTeX source includes into ``folder``: from beside the source, or drawn again from its SVG."""
    target = folder / name
    target.parent.mkdir(exist_ok=True)
    written = beside / name
    if written.is_file():
        target.write_bytes(written.read_bytes())
    elif name in _DRAWN:
        target.write_bytes(figure_pdf(_DRAWN[name]))
    else:
        raise RenderError(f"{name}: the figure's PDF is missing beside the LaTeX source")


def figures_for_latex(document: dict[str, Any], question: dict[str, Any], part: str) -> list[dict[str, Any]]:
    """A question's figures for ``part`` as the LaTeX template places them: file, width in points, caption."""
    shown = []
    for index, figure in enumerate(question.get("figures", [])):
        if part in figure:
            drawing = figure[part]
            width = min(drawing["width"] * 0.75, MAX_FIGURE_WIDTH, MAX_FIGURE_HEIGHT * drawing["width"] / drawing["height"])
            name = figure_name(document["paper"], question["number"], index, part, drawing["svg"])
            shown.append({"file": name, "width": round(width, 1), "caption": figure["caption"]})
    return shown


def figure_pdf(svg: str) -> bytes:
    """The SVG as a one-page PDF of its size."""
    return svg_to_pdf(svg)

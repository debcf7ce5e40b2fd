"""Read a scanned answer sheet: find the page, undo the scanner's geometry, read its code and its bubbles.

One page at a time, and no marking here (that is ``quizgen.marking.scans``):

1. the page's QR code (zxing-cpp: it reads the whole page in a few milliseconds, in any
   orientation, and says where the code is) names the build, the paper and the page;
2. the four corner marks (solid 5 mm squares) are found near the image's corners; the one
   nearest the code is the page's top right, which undoes a page scanned upside down or
   sideways;
3. a homography (OpenCV) from the marks to their printed places maps the page onto its
   printed geometry at PX_PER_MM, which undoes rotation, shift, scale and perspective;
4. the page is divided by its own smooth background (uneven lighting, grey paper), and each
   bubble of the paper's layout (``quizgen.exams.layout``) is measured: the share of its
   inside that is inked. The printed label counts too: an unmarked bubble reads up to 0.07
   (a 'B'), which is why EMPTY cannot go lower until each label's own ink is subtracted.

A tick is read only when it is clear: a bubble at least TICKED full is ticked, one at most
EMPTY full is empty, and anything between is doubtful. The marking sends doubtful bubbles
to the instructor's review; it never guesses.
"""

from __future__ import annotations

import math
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import QuizgenError
from .layout import MARK_CENTRES, MARK_SIZE, PAGE, Bubble, Item

PX_PER_MM = 8.0  # the printed geometry's resolution (203 dpi): a bubble's inside is ~19 pixels across
TICKED = 0.45  # share of a bubble's inside inked: at least this is a tick ...
EMPTY = 0.15  # ... at most this is empty; between the two is doubtful
INK = 0.42  # darkness (0 paper, 1 black) from which a pixel counts as inked
INSIDE = 0.72  # the measured disc, as a share of the bubble's radius (inside its printed ring)
MAX_PIXELS = 80_000_000  # a scanned page larger than this (A4 at ~1000 dpi) is refused
DPI = 200  # PDFs are rasterised at this resolution


class PageProblem(QuizgenError):
    """Why a scanned page cannot be read (no code, no marks, another exam's page, ...)."""


@dataclass(frozen=True)
class ScannedPage:
    """Where a page comes from: the file and the page (or frame) in it, counted from 1."""

    path: Path
    number: int

    @property
    def name(self) -> str:
        return f"{self.path.name} page {self.number}"


@dataclass
class PageRead:
    """What one page says: its code's text, how it lay in the scanner, and each bubble's fill."""

    page: ScannedPage
    code: str | None = None
    problem: str | None = None
    turned: int = 0  # quarter turns the page was scanned at (0: upright, 2: upside down)
    homography: list[list[float]] | None = None  # scan pixels to printed millimetres
    fills: dict[int, list[list[float]]] = field(default_factory=dict)  # item index: per column, each bubble's fill
    kept: str | None = None  # the file of the page's printed-geometry copy, when the reader keeps one


# ---------------------------------------------------------------------------
# Pages from files


def scanned_pages(path: Path) -> list[ScannedPage]:
    """The pages of one scan file: a PDF's pages, a TIFF's frames, or one image."""
    if not path.is_file():
        raise QuizgenError(f"{path}: no such scan file")
    if path.suffix.lower() == ".pdf":
        import pypdfium2

        try:
            document = pypdfium2.PdfDocument(str(path))
        except pypdfium2.PdfiumError as error:
            raise QuizgenError(f"{path}: not a PDF that can be read ({error})") from None
        count = len(document)
        document.close()
        return [ScannedPage(path, n) for n in range(1, count + 1)]
    if path.suffix.lower() in (".tif", ".tiff"):
        import cv2

        count = cv2.imcount(str(path))
        return [ScannedPage(path, n) for n in range(1, count + 1)]
    if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
        return [ScannedPage(path, 1)]
    raise QuizgenError(f"{path}: a scan is a PDF, TIFF, PNG or JPEG file")


_OPEN: dict[str, Any] = {}  # scan PDFs open in this process: a class's scan is one large file, opened once


def _pdf(path: Path) -> Any:
    import pypdfium2

    key = str(path)
    if not _OPEN:
        import atexit

        atexit.register(close_scans)
    if key not in _OPEN:
        if len(_OPEN) >= 4:
            _OPEN.pop(next(iter(_OPEN))).close()
        _OPEN[key] = pypdfium2.PdfDocument(key)
    return _OPEN[key]


def close_scans() -> None:
    """Close the scan PDFs this process holds open."""
    while _OPEN:
        _OPEN.pop(next(iter(_OPEN))).close()


def page_image(page: ScannedPage, dpi: int = DPI) -> np.ndarray:
    """The page as a greyscale image (uint8); PageProblem if it cannot be decoded."""
    import cv2

    suffix = page.path.suffix.lower()
    image = None
    if suffix == ".pdf":
        pdf_page = _pdf(page.path)[page.number - 1]
        try:
            width, height = pdf_page.get_size()
            scale = dpi / 72
            if width * height * scale * scale > MAX_PIXELS:
                raise PageProblem(f"{page.name}: the page is too large to be an A4 scan")
            image = pdf_page.render(scale=scale, grayscale=True).to_numpy()
        finally:
            pdf_page.close()
    elif suffix in (".tif", ".tiff"):
        ok, frames = cv2.imreadmulti(str(page.path), flags=cv2.IMREAD_GRAYSCALE, start=page.number - 1, count=1)
        image = frames[0] if ok and frames else None
    else:
        image = cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE)
    if image is None or image.size == 0:
        raise PageProblem(f"{page.name}: the image cannot be decoded")
    if image.ndim == 3:
        image = image[:, :, 0]
    if image.size > MAX_PIXELS:
        raise PageProblem(f"{page.name}: the image is too large to be an A4 scan")
    return np.ascontiguousarray(image)


# ---------------------------------------------------------------------------
# Geometry


def darkness(image: np.ndarray) -> np.ndarray:
    """Ink, 0 (paper) to 255 (black), against the page's own background: uneven lighting and grey paper cancel out.

    The background is the image's local brightest, smoothed, found at an eighth of the size (fast).
    """
    import cv2

    small = cv2.resize(image, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    background = cv2.GaussianBlur(cv2.dilate(small, kernel), (0, 0), 3)
    background = cv2.resize(background, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.subtract(255, cv2.divide(image, np.maximum(background, 32), scale=255))


def _read_code(image: np.ndarray) -> tuple[str, tuple[float, float]] | None:
    """The page code's text and the centre of its symbol in the image, if one QR code can be read."""
    import zxingcpp

    found = [r for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if r.valid and r.text.startswith("QZ")]
    if not found:
        return None
    position = found[0].position
    corners = [position.top_left, position.top_right, position.bottom_right, position.bottom_left]
    return found[0].text, (sum(p.x for p in corners) / 4, sum(p.y for p in corners) / 4)


def _mark_candidates(dark: np.ndarray, px_per_mm: float, offset: tuple[int, int]) -> list[tuple[float, float]]:
    """Centres of the solid squares of about the corner marks' size (in the whole image's pixels)."""
    import cv2

    binary = (dark > 128).astype(np.uint8)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    side = MARK_SIZE * px_per_mm
    found = []
    for index in range(1, count):
        x, y, w, h, area = stats[index]
        if not (0.7 * side <= w <= 1.45 * side and 0.7 * side <= h <= 1.45 * side):
            continue
        if area < 0.75 * w * h or area < 0.55 * side * side:  # a tilted square still fills ~90% of its box
            continue
        if x == 0 or y == 0 or x + w >= dark.shape[1] or y + h >= dark.shape[0]:
            continue  # cut by the window or the scan's edge: its centre would be wrong
        found.append((float(centroids[index][0]) + offset[0], float(centroids[index][1]) + offset[1]))
    return found


def _corner_marks(image: np.ndarray, px_per_mm: float) -> list[tuple[float, float]]:
    """The four corner marks, in the image's own order: top-left, top-right, bottom-right, bottom-left.

    Each is looked for in a window at its corner of the image only: a fifth of the page's pixels.
    """
    height, width = image.shape
    reach = round(50 * px_per_mm)  # a mark is 10.5 mm from its corner; a scanner window larger than the page, a shift or a tilt moves it
    marks = []
    for cx, cy in ((0, 0), (width, 0), (width, height), (0, height)):
        left, top = (0 if cx == 0 else max(0, width - reach)), (0 if cy == 0 else max(0, height - reach))
        window = image[top: top + reach, left: left + reach]
        near = _mark_candidates(darkness(window), px_per_mm, (left, top))
        if not near:
            return []
        marks.append(min(near, key=lambda c: math.hypot(c[0] - cx, c[1] - cy)))
    return marks if len(set(marks)) == 4 else []


def locate(image: np.ndarray, page: ScannedPage) -> tuple[str, int, np.ndarray]:
    """(code text, quarter turns, homography from scan pixels to printed mm) of one scanned page."""
    import cv2

    height, width = image.shape
    found = _read_code(image)
    if found is None:
        raise PageProblem(f"{page.name}: no quizgen page code (QR code) can be read")
    text, (qx, qy) = found
    px_per_mm = max(height, width) / PAGE[1]
    marks = _corner_marks(image, px_per_mm)
    if not marks:
        raise PageProblem(f"{page.name}: the four corner marks cannot all be found (is a corner cut off or covered?)")
    # The mark nearest the code is the page's top right (index 1 of MARK_CENTRES).
    nearest = min(range(4), key=lambda i: math.hypot(marks[i][0] - qx, marks[i][1] - qy))
    turned = (1 - nearest) % 4
    ordered = [marks[(i - turned) % 4] for i in range(4)]
    source = np.array(ordered, dtype=np.float64)
    target = np.array(MARK_CENTRES, dtype=np.float64)
    homography, _ = cv2.findHomography(source, target)
    if homography is None or not _plausible(homography, px_per_mm):
        raise PageProblem(f"{page.name}: the corner marks do not make an A4 page (is a mark covered by a stray one?)")
    return text, turned, homography


def _plausible(homography: np.ndarray, px_per_mm: float) -> bool:
    """A scan maps to the page with a scale near the expected one and little perspective."""
    scale = math.sqrt(abs(np.linalg.det(homography[:2, :2])))
    return 0.8 / px_per_mm <= scale <= 1.25 / px_per_mm and abs(homography[2, 0]) < 1e-3 and abs(homography[2, 1]) < 1e-3


def printed_page(image: np.ndarray, homography: np.ndarray, px_per_mm: float = PX_PER_MM) -> np.ndarray:
    """The scan mapped onto the printed page, PX_PER_MM pixels to the millimetre (white outside the scan)."""
    import cv2

    scale = np.diag([px_per_mm, px_per_mm, 1.0])
    size = (round(PAGE[0] * px_per_mm), round(PAGE[1] * px_per_mm))
    return cv2.warpPerspective(image, scale @ homography, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)


# ---------------------------------------------------------------------------
# Bubbles


@lru_cache(maxsize=16)
def _disc(radius_px: float) -> np.ndarray:
    size = int(math.ceil(radius_px)) * 2 + 1
    y, x = np.mgrid[:size, :size] - size // 2
    return (x * x + y * y) <= radius_px * radius_px


def fill(dark: np.ndarray, bubble: Bubble, px_per_mm: float = PX_PER_MM) -> float:
    """The share of a bubble's inside that is inked (0 to 1); ``dark`` is ``darkness`` of the printed page."""
    radius = bubble.radius * INSIDE * px_per_mm
    mask = _disc(radius)
    half = mask.shape[0] // 2
    cx, cy = round(bubble.x * px_per_mm), round(bubble.y * px_per_mm)
    top, left = cy - half, cx - half
    if top < 0 or left < 0 or top + mask.shape[0] > dark.shape[0] or left + mask.shape[1] > dark.shape[1]:
        return 1.0  # off the page: never read as empty
    window = dark[top: top + mask.shape[0], left: left + mask.shape[1]]
    return float(np.count_nonzero(window[mask] > INK * 255)) / float(np.count_nonzero(mask))


def state(value: float) -> str:
    """'ticked', 'empty' or 'doubtful' for a bubble's fill."""
    if value >= TICKED:
        return "ticked"
    if value <= EMPTY:
        return "empty"
    return "doubtful"


def read_page(page: ScannedPage, layouts: dict[str, tuple[str, list[Item]]], dpi: int = DPI, keep: bool = False) -> tuple[PageRead, np.ndarray | None]:
    """Read one scanned page against the build's layouts ({paper: (check, items)}).

    Returns the read and, with ``keep``, the page mapped onto its printed geometry (for review
    crops and the annotated copy).
    """
    from .sheets import PageCode

    read = PageRead(page)
    try:
        image = page_image(page, dpi)
        text, turned, homography = locate(image, page)
        read.code, read.turned, read.homography = text, turned, homography.tolist()
        code = PageCode.parse(text)
        checks = {check for check, _ in layouts.values()}
        if code.check not in checks:
            raise PageProblem(f"{page.name}: a page of another exam or build (its check is {code.check}, this build's is {', '.join(sorted(checks))})")
        if code.paper not in layouts:
            raise PageProblem(f"{page.name}: the page code names paper {code.paper!r}, which this build does not have")
        check, items = layouts[code.paper]
        printed = printed_page(image, homography)
        dark = darkness(printed)
        for index, item in enumerate(items):
            if item.page == code.page:
                read.fills[index] = [[round(fill(dark, bubble), 4) for bubble in column] for column in item.columns()]
        return read, (printed if keep else None)
    except QuizgenError as error:
        read.problem = str(error) if str(error).startswith(page.name) else f"{page.name}: {error}"
        return read, None


__all__ = [
    "DPI", "EMPTY", "PX_PER_MM", "PageProblem", "PageRead", "ScannedPage", "TICKED", "darkness", "fill", "locate", "page_image",
    "printed_page", "read_page", "scanned_pages", "state",
]

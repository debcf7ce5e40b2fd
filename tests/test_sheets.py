"""Digit grids and page codes of the scannable answer sheets (quizgen/exams/sheets.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizgen.engine.generate import generate
from quizgen.engine.template import TABLE_KINDS
from quizgen.errors import QuizgenError
from quizgen.exams.sheets import MAX_COLUMNS, DigitGrid, PageCode, build_check, decimals_of, flat_values, grid_for
from quizgen.formats.records import variant_record


def test_a_grid_fills_and_reads_back_the_key():
    grid = DigitGrid(signed=True, integers=3, decimals=2)
    assert grid.fill("-12.50") == (True, (0, 1, 2, 5, 0))
    assert grid.read(True, [None, 1, 2, 5, 0]) == "-12.50"
    assert grid.read(False, [0, 0, 7, 0, 0]) == "7.00"
    assert grid.read(True, [0, 0, 0, 0, 0]) == "0.00"  # a sign on zero is no negative number


@pytest.mark.parametrize("text, reason", [("1234.5", "integer columns"), ("1.234", "more decimals"), ("-1", "no sign row"), ("nan", "not a number")])
def test_a_grid_refuses_what_it_cannot_hold(text, reason):
    grid = DigitGrid(signed=False, integers=3, decimals=2)
    with pytest.raises(ValueError, match=reason):
        grid.fill(text)
    assert not grid.holds(text)


@pytest.mark.parametrize("digits", [[1, None, 5, 0, 0], [0, 1, 2, None, 3], [0, 1, 2, 3, None]])
def test_an_empty_column_after_a_ticked_one_or_in_the_decimals_is_not_guessed(digits):
    with pytest.raises(ValueError, match="is empty"):
        DigitGrid(signed=False, integers=3, decimals=2).read(False, digits)


@given(st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False))
def test_every_value_the_grid_is_sized_for_round_trips(value):
    text = format(value.quantize(Decimal("0.001")), "f")
    grid = grid_for([text], 3)
    negative, digits = grid.fill(text)
    assert Decimal(grid.read(negative, digits)) == Decimal(text)


def test_grids_have_a_bounded_width():
    with pytest.raises(ValueError):
        grid_for(["123456789012"], 3)
    with pytest.raises(ValueError):
        DigitGrid(False, MAX_COLUMNS, 1)


def test_every_numeric_answer_and_mistake_of_the_bank_fits_a_grid_sized_from_a_sample(bank):
    """Sized from 60 variants (answers and named mistakes), the grid holds the answers and mistakes of 60 others."""
    for _, template in sorted(bank.templates.items()):
        if template.kind in TABLE_KINDS:
            continue
        records = [variant_record(v, steps=False) for v in generate(template, min(120, template.min_variants), seed=11)]
        sample, others = records[: len(records) // 2], records[len(records) // 2 :]
        for spec in template.answers:
            def values(record):
                answer = next(a for a in record["answers"] if a["name"] == spec.name)
                return [(answer["rounded"], text) for text in flat_values(answer["rounded"])] + [
                    (answer["rounded"], text) for m in record["mistakes"] if m["answer"] == spec.name for text in flat_values(m["rounded"])
                ]
            sized = [text for record in sample for _, text in values(record)]
            for record in others:
                pairs = values(record)
                # decimals: the question's rounding; with significant figures, the most any value of the variant shows
                places = spec.decimals if spec.decimals is not None else max(decimals_of(text) for _, text in pairs)
                for rounded, text in pairs:
                    text = format(Decimal(text).quantize(Decimal(1).scaleb(-places)), "f")
                    try:
                        grid = grid_for(sized + [text], places)
                    except ValueError:
                        continue  # wider than a grid: such a blank is marked by hand
                    assert grid.holds(text), (template.id, spec.name, text, grid)
                    negative, digits = grid.fill(text)
                    assert Decimal(grid.read(negative, digits)) == Decimal(text)


def test_a_page_code_round_trips_and_names_what_is_wrong():
    code = PageCode(build_check("0123456789abcdef", 2026, "title = 'x'"), "s2026001", 3)
    assert PageCode.parse(code.text()) == code
    for text in ["", "QZ2|12345678|A|1", "QZ1|nothex00|A|1", "QZ1|12345678|../x|1", "QZ1|12345678|A|0", "QZ1|12345678|A"]:
        with pytest.raises(QuizgenError):
            PageCode.parse(text)
    assert build_check("f", 1, "a") != build_check("f", 2, "a") != build_check("f", 1, "b")


def test_a_page_code_is_a_qr_code_that_opencv_reads_back():
    cv2 = pytest.importorskip("cv2")
    np = pytest.importorskip("numpy")
    import segno

    code = PageCode("0a1b2c3d", "s2026038", 12)
    image = np.array(segno.make(code.text(), error="m").matrix, dtype=np.uint8)
    picture = np.kron(1 - image, np.ones((8, 8), dtype=np.uint8)) * 255
    picture = np.pad(picture, 40, constant_values=255)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(picture)
    assert PageCode.parse(text) == code
    assert code.qr_svg().startswith("<svg")


def test_an_exam_built_with_sheets_has_marks_and_a_readable_code_on_every_page(tmp_path):
    """Every page of a paper: its QR code, cropped from the corner the marks bound, reads back as this build, paper and page."""
    import json
    import shutil
    import subprocess
    import sys

    cv2 = pytest.importorskip("cv2")
    if not shutil.which("pdftoppm"):
        pytest.skip("needs poppler's pdftoppm")
    from exam_support import ROSTER, SPEC, make_small_bank

    bank = make_small_bank(tmp_path / "bank")
    (tmp_path / "quiz.toml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    built = subprocess.run([sys.executable, "-m", "quizgen", "--bank", str(bank), "exam", "build", "quiz.toml", "--roster", "roster.csv", "--out", "out", "--sheets"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    check = manifest["sheets"]["check"]
    for paper in manifest["papers"]:
        subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(tmp_path / "out" / paper["files"]["paper"]), str(tmp_path / paper["key"])], check=True)
        pages = sorted(tmp_path.glob(f"{paper['key']}-*.png"))
        assert len(pages) == paper["pages"]["paper"]
        for number, page in enumerate(pages, start=1):
            image = cv2.imread(str(page), cv2.IMREAD_GRAYSCALE)
            height, width = image.shape
            mm = width / 210
            assert image[int(9 * mm) : int(12 * mm), int(9 * mm) : int(12 * mm)].mean() < 60  # the top-left corner mark (8-13 mm)
            crop = image[0 : int(32 * mm), width - int(42 * mm) : width - int(14 * mm)]  # the code (173-193 mm), not the mark
            import zxingcpp  # what the scan reader reads the code with

            text = "".join(r.text for r in zxingcpp.read_barcodes(crop, formats=zxingcpp.BarcodeFormat.QRCode))
            assert PageCode.parse(text) == PageCode(check, paper["key"], number), (paper["key"], number, text)
    key_text = subprocess.run(["pdftotext", str(tmp_path / "out" / manifest["papers"][0]["files"]["key"]), "-"], capture_output=True, text=True).stdout
    assert "On the answer sheet" in key_text

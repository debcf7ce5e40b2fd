"""Figures in the outputs that cannot take the SVG as it is: Canvas's QTI 1.2, GIFT, and the terminal.

Each test reads the output back as its reader would: the Canvas zip's manifest, items and
files; the GIFT text as Moodle's GIFT reader unescapes it; the terminal text line by line.
"""

from __future__ import annotations

import base64
import io
import re
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

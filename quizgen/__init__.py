"""quizgen: auto-graded numerical questions for a deep-neural-networks course.

The Python API (docs/api.md), the same calls the ``quizgen`` command makes::

    import quizgen
    bank = quizgen.load_bank()
    variant = quizgen.generate("cnn.conv_output_size", 1, seed=7, bank=bank)[0]
    print(quizgen.render_text(variant))

The package's rooms: ``quizgen.engine`` (template to variant), ``quizgen.formats`` (one
module per output), ``quizgen.exams`` (paper exams) and ``quizgen.marking`` (a student's
answers). Importing quizgen loads none of them: each call imports what it needs.
"""

__version__ = "0.1.0"

from .api import (  # noqa: E402  (after __version__, which the modules below read)
    HtmlExport,
    answers_template,
    build_exam,
    export_gift,
    export_html,
    export_items,
    export_moodle,
    export_qti,
    generate,
    grade,
    load_bank,
    mark_exam,
    read_value,
    render_text,
    solve,
    variant,
    variant_record,
)
from .errors import BankError, QuizgenError, RenderError, VariantError  # noqa: E402

__all__ = [
    "BankError", "HtmlExport", "QuizgenError", "RenderError", "VariantError", "__version__", "answers_template", "build_exam", "export_gift",
    "export_html", "export_items", "export_moodle", "export_qti", "generate", "grade", "load_bank", "mark_exam", "read_value", "render_text", "solve", "variant",
    "variant_record",
]

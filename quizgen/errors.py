"""One error hierarchy, so the CLI can turn every domain problem into one clean line."""


def close_names(name: str, known: object) -> list[str]:
    """Up to three of ``known`` that look like ``name`` (difflib, 75 % alike), closest first."""
    import difflib

    return difflib.get_close_matches(str(name), [str(k) for k in known], n=3, cutoff=0.75)


def did_you_mean(name: str, known: object, close: list[str] | None = None) -> str:
    """' (did you mean 'x'?)' for a name close to one of ``known``, else ''."""
    close = close_names(name, known) if close is None else close
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


class QuizgenError(Exception):
    """Base of every error quizgen reports to a user (exit code 2, no traceback)."""


class BankError(QuizgenError):
    """A question template is malformed: names the file, the field and the value."""

    def __init__(self, source: str, field: str, message: str):
        self.source = source
        self.field = field
        self.message = message
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {message}")


class ExpressionError(QuizgenError):
    """An expression is not in the whitelisted language, or cannot be evaluated."""


class VariantError(QuizgenError):
    """No valid variant could be drawn (constraints unsatisfiable, too few distinct variants)."""


class RenderError(QuizgenError):
    """An output could not be rendered or failed its own check before being written."""


class UsageError(QuizgenError):
    """Bad command-line input that click itself cannot catch (e.g. a malformed --set)."""

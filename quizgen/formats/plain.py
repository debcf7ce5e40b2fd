"""TeX to readable terminal text, for ``show``, ``generate --format text``, ``solve`` and practice.

A small reader of the TeX the bank writes (its own printer's output and authors' math):
``W_{hh} h_{t-1} + W_{xh} x_t`` → ``W_hh·h_(t-1) + W_xh·x_t``. A subscript or
superscript longer than one word is bracketed, a symbol written right after a
subscript is separated by ``·`` (never ``n_inn_out``), ``\\sum_{j=1}^{3}`` → ``∑_(j=1..3)``,
a fraction is ``a/b`` with brackets only where needed, ``\\hat{y}`` → ``ŷ``, digits and
``T`` as superscripts are Unicode (``x²``, ``Kᵀ``, ``10⁻⁵``).

``math_to_plain`` reads math, ``tex_to_plain`` prose with ``$...$`` math; both give one
line. ``math_block`` lays out a displayed formula in two dimensions: matrices as bracketed
columns, an ``array`` as an aligned table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[0-9]+(?:\.[0-9]+)?|[{}^_&]|\s+|.", re.DOTALL)

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ", "eta": "η",
    "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω", "ell": "ℓ", "infty": "∞", "dots": "…", "ldots": "…", "cdots": "⋯", "vdots": "⋮", "odot": "⊙",
    "%": "%", "$": "$", "_": "_", "#": "#", "&": "&", "{": "{", "}": "}", "|": "‖", "prime": "'",
}
_PREFIX = {"partial": "∂", "nabla": "∇"}  # glued to what follows: ∂ℓ/∂z, ∇_θ L
_RELATIONS = {
    "approx": "≈", "ne": "≠", "neq": "≠", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "in": "∈", "notin": "∉",
    "sim": "∼", "rightarrow": "→", "to": "→", "leftarrow": "←", "Rightarrow": "⇒", "mapsto": "↦", "equiv": "≡",
    "propto": "∝", "ll": "≪", "gg": "≫",
}
_BINARY = {"cdot": "·", "times": "×", "pm": "±", "mp": "∓", "div": "÷", "circ": "∘", "otimes": "⊗", "oplus": "⊕"}
_OPEN = {"lfloor": "⌊", "lceil": "⌈", "langle": "⟨", "{": "{"}
_CLOSE = {"rfloor": "⌋", "rceil": "⌉", "rangle": "⟩", "}": "}"}
_FUNCTIONS = {"log", "ln", "exp", "tanh", "sinh", "cosh", "sin", "cos", "tan", "max", "min", "arg", "det", "lim", "sup", "inf"}
_BIG = {"sum": "∑", "prod": "∏", "int": "∫"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304", "tilde": "\u0303", "widetilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"}
_WORDS = {"text", "textrm", "textit", "textbf", "mathrm", "mathit", "mathbf", "mathsf", "mathtt", "mathcal", "mathbb", "operatorname", "boldsymbol", "bm"}
_SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": " ", "qquad": " ", "enspace": " ", "thinspace": " "}
_SIZING = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "textstyle", "limits", "nolimits", "hline", "middle"}
_SUPERSCRIPT = str.maketrans("0123456789-+T", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵀ")
_SUPERSCRIPTABLE = re.compile(r"^(?:-?[0-9]+|T)$")
_WORD = re.compile(r"^(?:[^\W_]+|[0-9.]+)$")  # a subscript written without brackets: in, out, hh, 12, 0.5


# ---------------------------------------------------------------------------
# Reading TeX into a tree: a group is a list, anything else one token


MAX_DEPTH = 40  # braces nested deeper than this are read as if they were not there (no recursion without end)


def _parse(tex: str) -> list:
    stack: list[list] = [[]]
    flattened = 0  # braces opened past MAX_DEPTH, whose closing braces are dropped too
    for match in _TOKEN.finditer(tex):
        token = match.group()
        if token == "{" and len(stack) > MAX_DEPTH:
            flattened += 1
        elif token == "}" and flattened:
            flattened -= 1
        elif token == "{":
            stack.append([])
        elif token == "}":
            if len(stack) > 1:
                group = stack.pop()
                stack[-1].append(group)
        elif token.isspace():
            stack[-1].append(" ")
        else:
            stack[-1].append(token)
    while len(stack) > 1:  # an unclosed group: read as if it were closed
        group = stack.pop()
        stack[-1].append(group)
    return stack[0]


# ---------------------------------------------------------------------------
# Boxes: lines of text with a baseline, for matrices and tables


@dataclass
class Box:
    lines: list[str]
    base: int = 0

    @property
    def width(self) -> int:
        return max((text_width(line) for line in self.lines), default=0)

    @property
    def flat(self) -> bool:
        return len(self.lines) == 1


def text_width(text: str) -> int:
    """Columns a string takes in a terminal (combining accents take none)."""
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def _pad(line: str, width: int, align: str = "l") -> str:
    gap = width - text_width(line)
    if align == "r":
        return " " * gap + line
    if align == "c":
        return " " * (gap // 2) + line + " " * (gap - gap // 2)
    return line + " " * gap


def hconcat(boxes: list[Box]) -> Box:
    """Boxes side by side, their baselines on one line."""
    boxes = [b for b in boxes if b.lines and (b.width or not b.flat)]
    if not boxes:
        return Box([""])
    if all(b.flat for b in boxes):
        return Box(["".join(b.lines[0] for b in boxes)])
    above = max(b.base for b in boxes)
    below = max(len(b.lines) - b.base for b in boxes)
    lines = [""] * (above + below)
    for box in boxes:
        width = box.width
        for row in range(above + below):
            i = row - (above - box.base)
            lines[row] += _pad(box.lines[i] if 0 <= i < len(box.lines) else "", width)
    return Box([line.rstrip() for line in lines], above)


# ---------------------------------------------------------------------------
# Rendering


@dataclass
class _Part:
    box: Box
    kind: str  # operand | op | rel | open | close | punct | func | big | prefix | space
    script: bool = False  # ends with a written subscript or superscript (x_t, h^(1))
    words: bool = False  # \text{...}: words, set off by spaces as written, never by '·'
    frac: bool = False  # a fraction a/b: bracketed when something is written right after it

    @property
    def text(self) -> str:
        return self.box.lines[self.box.base]


def _text(value: str, kind: str) -> _Part:
    return _Part(Box([value]), kind)


class _Renderer:
    def __init__(self, two_d: bool, width: int | None = None):
        self.two_d = two_d
        self.width = width  # a table wider than this wraps its last column

    # -- reading arguments

    @staticmethod
    def _skip(items: list, i: int) -> int:
        while i < len(items) and items[i] == " ":
            i += 1
        return i

    def _argument(self, items: list, i: int) -> tuple[list, int]:
        i = self._skip(items, i)
        if i >= len(items):
            return [], i
        item = items[i]
        return (item if isinstance(item, list) else [item]), i + 1

    def _optional(self, items: list, i: int) -> tuple[list | None, int]:
        j = self._skip(items, i)
        if j < len(items) and items[j] == "[":
            depth, k = 0, j
            while k < len(items):
                if items[k] == "[":
                    depth += 1
                elif items[k] == "]":
                    depth -= 1
                    if depth == 0:
                        return items[j + 1 : k], k + 1
                k += 1
        return None, i

    # -- pieces

    def flat(self, items: list, script: bool = False) -> str:
        """One line of text for items (a script's content has no spaces)."""
        text = _Renderer(False).join(_Renderer(False).parts(items)).lines[0]
        return re.sub(r"\s+", "", text) if script else text.strip()

    def words(self, items: list) -> str:
        """The content of \\text{...}: words as written, TeX escapes read."""
        out = []
        for item in items:
            if isinstance(item, list):
                out.append(self.words(item))
            elif item.startswith("\\"):
                name = item[1:]
                if name in _SYMBOLS:
                    out.append(_SYMBOLS[name])
                elif name in _SPACES:
                    out.append(_SPACES[name])
                elif name == "\\":
                    out.append(" ")
                else:
                    out.append(self.flat([item]))
            elif item == "~":
                out.append(" ")
            else:
                out.append(item)
        return "".join(out)

    def parts(self, items: list) -> list[_Part]:
        parts: list[_Part] = []
        i = 0
        while i < len(items):
            item = items[i]
            i += 1
            if isinstance(item, list):
                inner = self.parts(item)
                solid = [p for p in inner if p.kind != "space"]
                if len(solid) == 1:  # {x_t}: the one part itself, as it is
                    parts.append(solid[0])
                else:
                    parts.append(_Part(self.join(inner), "operand", script=bool(solid) and solid[-1].script))
            elif item == " ":
                parts.append(_text(" ", "space"))
            elif item in ("^", "_"):
                content, i = self._argument(items, i)
                self._script(parts, item, content)
            elif item == "'":
                if parts and parts[-1].kind != "space":
                    parts[-1].box = hconcat([parts[-1].box, Box(["'"])])
                else:
                    parts.append(_text("'", "operand"))
            elif item.startswith("\\"):
                i = self._command(item[1:], items, i, parts)
            elif item == "&":
                parts.append(_text("  ", "space"))
            elif item in "+-":
                parts.append(_text(item, "op"))
            elif item in "=<>":
                parts.append(_text(item, "rel"))
            elif item in "([":
                parts.append(_text(item, "open"))
            elif item in ")]":
                parts.append(_text(item, "close"))
            elif item in ",;":
                parts.append(_text(item, "punct"))
            elif item == "~":
                parts.append(_text(" ", "space"))
            elif item == "/":
                parts.append(_text("/", "slash"))
            elif item == "$":
                continue
            else:
                parts.append(_text(item, "operand"))
        return parts

    def _script(self, parts: list[_Part], mark: str, content: list) -> None:
        text = self.flat(content, script=True)
        if mark == "^" and _SUPERSCRIPTABLE.match(text):
            written, script = text.translate(_SUPERSCRIPT), False
        elif _WORD.match(text) or (text.startswith("(") and _balanced_outer(text)):
            written, script = mark + text, True
        else:
            written, script = f"{mark}({text})", True
        while parts and parts[-1].kind == "space":
            parts.pop()
        if not parts:
            parts.append(_text(written, "operand"))
            return
        last = parts[-1]
        if mark == "_" and last.script and "^" in last.text:  # {e^{s}}_{k}: element k of e^s
            last.box = Box([f"({last.text})"])
        if last.frac:  # (a/b)^2
            last.box, last.frac = Box([f"({last.text})"]), False
        if last.box.flat:
            last.box = Box([last.text + written])
        else:  # a matrix: the superscript at its top right, a subscript at its bottom right
            lines = list(last.box.lines)
            row = 0 if mark == "^" else len(lines) - 1
            width = last.box.width
            lines = [_pad(line, width) for line in lines]
            lines[row] += written
            last.box = Box([line.rstrip() for line in lines], last.box.base)
        last.script = script or last.script and not written[0] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ"
        if last.kind not in ("big", "prefix", "func", "close"):  # (a+b)² stays a closing bracket
            last.kind = "operand"

    def _command(self, name: str, items: list, i: int, parts: list[_Part]) -> int:
        if name in _SIZING:
            if name in ("left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"):
                j = self._skip(items, i)
                if j < len(items) and items[j] == ".":
                    return j + 1
            return i
        if name == "frac" or name in ("dfrac", "tfrac"):
            numerator, i = self._argument(items, i)
            denominator, i = self._argument(items, i)
            top, bottom = self.flat(numerator), self.flat(denominator)
            parts.append(_Part(Box([f"{_bracket(top)}/{_bracket(bottom)}"]), "operand", frac=True))
        elif name == "sqrt":
            _, i = self._optional(items, i)
            content, i = self._argument(items, i)
            inner = self.flat(content)
            parts.append(_text("√" + (inner if re.fullmatch(r"[0-9.]+|\w", inner) else f"({inner})"), "operand"))
        elif name in _ACCENTS:
            content, i = self._argument(items, i)
            inner = self.flat(content)
            if text_width(inner) == 1:
                parts.append(_text(unicodedata.normalize("NFC", inner + _ACCENTS[name]), "operand"))  # ŷ as one character where Unicode has it
            else:
                parts.append(_text(f"{name}({inner})", "operand"))
        elif name in _WORDS:
            content, i = self._argument(items, i)
            part = _text(self.words(content), "func" if name == "operatorname" else "operand")
            part.words = name != "operatorname"
            parts.append(part)
        elif name in _BIG:
            i = self._big(name, items, i, parts)
        elif name == "begin":
            i = self._environment(items, i, parts)
        elif name in _FUNCTIONS:
            parts.append(_text(name, "func"))
        elif (piece := _table_piece(name)) is not None:
            parts.append(piece)
        elif name == "\\":
            parts.append(_text("; ", "punct"))
        elif name in ("end", "label", "tag"):
            _, i = self._argument(items, i)
        else:  # an unknown command: its name, without the backslash
            parts.append(_text(name, "operand"))
        return i

    def _big(self, name: str, items: list, i: int, parts: list[_Part]) -> int:
        below = above = None
        while True:
            j = self._skip(items, i)
            mark = items[j] if j < len(items) else None
            if (mark == "_" and below is None) or (mark == "^" and above is None):
                content, i = self._argument(items, j + 1)
                if mark == "_":
                    below = self.flat(content, script=True)
                else:
                    above = self.flat(content, script=True)
            elif mark == "\\limits":
                i = j + 1
            else:
                break
        text = _BIG[name]
        if below is not None and above is not None:
            text += f"_({below}..{above})"
        elif below is not None:
            text += f"_{below}" if _WORD.match(below) else f"_({below})"
        elif above is not None:
            text += f"^{above}" if _WORD.match(above) else f"^({above})"
        parts.append(_text(text, "big"))
        return i

    def _environment(self, items: list, i: int, parts: list[_Part]) -> int:
        name_items, i = self._argument(items, i)
        name = "".join(x for x in name_items if isinstance(x, str))
        spec = ""
        if name in ("array", "tabular"):
            spec_items, i = self._argument(items, i)
            spec = "".join(x for x in spec_items if isinstance(x, str) and x in "lrc")
        body: list = []
        depth = 0
        while i < len(items):
            item = items[i]
            i += 1
            if item == "\\begin":
                depth += 1
            elif item == "\\end":
                if depth == 0:
                    _, i = self._argument(items, i)
                    break
                depth -= 1
            body.append(item)
        rows = self._cells(body)
        if name in ("array", "tabular"):
            parts.append(_Part(self._table(rows, spec), "operand"))
        elif name == "cases":
            parts.append(_text("{ " + "; ".join("  ".join(row) for row in rows) + " }", "operand"))
        else:
            parts.append(_Part(self._matrix(rows, name), "operand"))
        return i

    def _cells(self, body: list) -> list[list[str]]:
        rows: list[list[list]] = [[[]]]
        rules: list[int] = []
        for item in body:
            if item == "\\\\":
                rows.append([[]])
            elif item == "&":
                rows[-1].append([])
            elif item == "\\hline":
                rules.append(len(rows) - 1)
            else:
                rows[-1][-1].append(item)
        cells = [[re.sub(r"\s+", " ", self.flat(cell)) for cell in row] for row in rows]
        cells = [row for row in cells if any(row)]
        self._rules = rules
        return cells

    def _matrix(self, rows: list[list[str]], name: str) -> Box:
        opening, closing = ("(", ")") if name == "pmatrix" else ("[", "]")
        if not rows:
            return Box([opening + closing])
        if not self.two_d or len(rows) == 1:
            return Box([opening + "; ".join(", ".join(row) for row in rows) + closing])
        columns = max(len(row) for row in rows)
        rows = [row + [""] * (columns - len(row)) for row in rows]
        widths = [max(text_width(row[c]) for row in rows) for c in range(columns)]
        body = [" ".join(_pad(cell, w, "r") for cell, w in zip(row, widths)) for row in rows]
        if name == "pmatrix":
            left, right = ["⎛", *["⎜"] * (len(rows) - 2), "⎝"], ["⎞", *["⎟"] * (len(rows) - 2), "⎠"]
        else:
            left, right = ["⎡", *["⎢"] * (len(rows) - 2), "⎣"], ["⎤", *["⎥"] * (len(rows) - 2), "⎦"]
        return Box([f"{l}{line}{r}" for l, line, r in zip(left, body, right)], (len(rows) - 1) // 2)

    def _table(self, rows: list[list[str]], spec: str) -> Box:
        if not rows:
            return Box([""])
        if not self.two_d:
            return Box(["[" + "; ".join(", ".join(row) for row in rows) + "]"])
        columns = max((len(row) for row in rows), default=0)
        rows = [row + [""] * (columns - len(row)) for row in rows]
        widths = [max(text_width(row[c]) for row in rows) for c in range(columns)]
        aligns = (spec + "l" * columns)[:columns]
        if self.width is not None and columns and sum(widths) + 2 * (columns - 1) > self.width:
            widths[-1] = max(12, self.width - sum(widths[:-1]) - 2 * (columns - 1))
        lines = []
        for number, row in enumerate(rows):
            if number and number in self._rules:
                lines.append("  ".join("─" * w for w in widths))
            last = _wrap_cell(row[-1], widths[-1]) if columns else [""]
            for part, text in enumerate(last):
                cells = [*(row[:-1] if part == 0 else [""] * (columns - 1)), text]
                lines.append("  ".join(_pad(cell, w, a if part == 0 or c == columns - 1 else "l") for c, (cell, w, a) in enumerate(zip(cells, widths, aligns))).rstrip())
        return Box(lines, 0)

    # -- joining

    def join(self, parts: list[_Part]) -> Box:
        spaced_before: list[bool] = []
        solid: list[_Part] = []
        spaced = False
        for part in parts:
            if part.kind == "space":
                spaced = True
                continue
            solid.append(part)
            spaced_before.append(spaced)
            spaced = False
        for n, part in enumerate(solid):  # a fraction next to a symbol, or a function's argument, is bracketed
            if not part.frac:
                continue
            left = solid[n - 1] if n else None
            right = solid[n + 1] if n + 1 < len(solid) else None
            after_function = left is not None and left.kind == "func"
            if after_function or (right is not None and self._juxtaposed(part, right)) or (left is not None and left.kind in ("operand", "close") and self._juxtaposed(left, part)):
                solid[n] = _Part(Box([f"({part.text})"]), "close" if after_function else "operand")
        out: list[Box] = []
        for n, part in enumerate(solid):
            if n:
                out.append(Box([self._between(solid[n - 1], part, spaced_before[n])]))
            out.append(part.box)
        return hconcat(out)

    @staticmethod
    def _juxtaposed(left: _Part, right: _Part) -> bool:
        return left.kind in ("operand", "close") and right.kind in ("operand", "open", "func", "big", "prefix")

    def _between(self, left: _Part, right: _Part, spaced: bool) -> str:
        if right.kind == "rel" or left.kind == "rel":
            return " "
        if right.kind == "bin" or left.kind == "bin":
            return " "
        if left.kind == "open" or right.kind in ("close", "punct"):
            return ""
        if left.kind == "punct":
            return " "
        if left.kind == "prefix":
            return " " if left.script else ""
        if left.kind in ("big",):
            return " "
        if left.kind == "func":
            return "" if right.kind in ("open", "close") and right.text[:1] in "([" else " "
        if right.kind in ("func", "big") and left.kind in ("operand", "close"):
            return " "
        if left.words or right.words:
            return " " if spaced else ""
        if self._juxtaposed(left, right):
            if left.script and right.kind != "open":
                return "·"
            if left.script and right.kind == "open" and spaced:
                return "·"
            if left.frac:
                return "·"
            if left.text[-1:].isdigit() and right.text[:1].isdigit():
                return " · "
        return " " if spaced else ""


def _balanced_outer(text: str) -> bool:
    """Whether the brackets opening and closing text enclose all of it: '(a+b)' yes, '(a)+(b)' no."""
    pairs = {"(": ")", "[": "]", "⌊": "⌋", "⌈": "⌉", "{": "}"}
    if not text or text[0] not in pairs or text[-1] != pairs[text[0]]:
        return False
    depth = 0
    for position, char in enumerate(text):
        if char in pairs:
            depth += 1
        elif char in pairs.values():
            depth -= 1
            if depth == 0 and position < len(text) - 1:
                return False
    return True


_ATOM = re.compile(r"^[\w.'\u0300-\u036f\u20d7⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ√∂∇ℓ]+$")


def _is_atom(text: str) -> bool:
    """Whether text needs no brackets as a numerator, denominator or exponent: x, 2P, n_in, e^(s_k), exp(x), (a+b), [1, 2]."""
    if _ATOM.match(text):
        return True
    depth = 0
    for char in text:
        if char in "([⌊⌈{‖":
            depth += 1 if char != "‖" or depth == 0 else -1
        elif char in ")]⌋⌉}":
            depth -= 1
        elif depth == 0 and not (char.isalnum() or char in "._^'√∂∇ℓ⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ" or unicodedata.combining(char)):
            return False
    return depth == 0


def _bracket(text: str) -> str:
    text = text.strip()
    return text if _is_atom(text) else f"({text})"


# ---------------------------------------------------------------------------
# The public functions


_MATH = re.compile(r"\$\$(.+?)\$\$|(?<!\\)\$(.+?)(?<!\\)\$", re.DOTALL)


@lru_cache(maxsize=8192)
def math_to_plain(tex: str) -> str:
    """One line of Unicode text for TeX math: 'W_{hh} h_{t-1}' → 'W_hh·h_(t-1)'."""
    box = _Renderer(False).join(_Renderer(False).parts(_parse(tex)))
    return re.sub(r"[ \t]+", " ", box.lines[0]).strip()


def _wrap_cell(text: str, width: int) -> list[str]:
    """A table cell's words on as many lines as it takes at ``width`` columns."""
    lines = [""]
    for word in text.split(" "):
        if lines[-1] and text_width(lines[-1]) + 1 + text_width(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
    return lines


def math_block(tex: str, width: int | None = None) -> Box:
    """TeX math laid out in two dimensions: a matrix as bracketed columns, an array as an aligned table
    (its last column wrapped when the table is wider than ``width``)."""
    renderer = _Renderer(True, width)
    box = renderer.join(renderer.parts(_parse(tex)))
    lines = [re.sub(r"(?<=\S) {2,}(?=[^\s⎤⎥⎦⎞⎟⎠])", " ", line) if len(box.lines) == 1 else line for line in box.lines]
    return Box([line.rstrip() for line in lines], box.base)


def text_to_plain(text: str) -> str:
    """Prose outside math: TeX escapes read ('\\$' → '$', '\\%' → '%', '~' → space)."""
    text = re.sub(r"\\([$%&#_{}])", r"\1", text)
    return text.replace("~", " ").replace("``", "“").replace("''", "”")


@lru_cache(maxsize=8192)
def tex_to_plain(text: str) -> str:
    """Prose with $...$ and $$...$$ math as one line of plain Unicode text."""
    if not text:
        return ""
    out, position = [], 0
    for match in _MATH.finditer(text):
        out.append(text_to_plain(text[position : match.start()]))
        out.append(math_to_plain(match.group(1) if match.group(1) is not None else match.group(2)))
        position = match.end()
    out.append(text_to_plain(text[position:]))
    paragraphs = re.split(r"\n\s*\n", "".join(out).strip())
    return "\n\n".join(re.sub(r"\s+", " ", paragraph).strip() for paragraph in paragraphs)


# A command found in one of these tables is a piece of that kind (first table wins, as the elif chain did).
_COMMAND_TABLES = ((_PREFIX, "prefix"), (_RELATIONS, "rel"), (_BINARY, "bin"), (_OPEN, "open"), (_CLOSE, "close"), (_SPACES, "space"), (_SYMBOLS, "operand"))


def _table_piece(name: str) -> _Part | None:
    """The piece of a command that one of the tables above spells, or None."""
    for table, kind in _COMMAND_TABLES:
        if name in table:
            return _text(table[name], kind)
    return None

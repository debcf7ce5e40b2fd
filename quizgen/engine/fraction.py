"""quicktions' Fraction (fractions.Fraction in C), with a safe way to build one from text.

quicktions (1.16 to 1.24 at least) parses a string into a buffer it makes as ``b'\\0' * len(text)``
and then writes the digits into it. For a one-character string CPython hands back its shared
one-byte object ``b'\\x00'`` itself, so ``Fraction('7')`` overwrites the interpreter's own zero
byte: from then on every one-byte ``b'\\x00'`` in the process reads as ``b'7'`` (``bytes([0])``,
``BytesIO.read(1)``, ``struct`` and zlib data). pypdf then misreads every PDF's cross-reference
stream, and any byte-level output written later in the process could change. Text therefore
reaches quicktions only through :func:`fraction_of_text`, which parses one character as an int.
"""

from __future__ import annotations

from quicktions import Fraction

__all__ = ["Fraction", "fraction_of_text"]


def fraction_of_text(text: str) -> Fraction:
    """``Fraction(text)``, without handing quicktions a string shorter than two characters (see above).

    Raises ValueError for text that is not a number, as Fraction(text) does.
    """
    if len(text) < 2:
        return Fraction(int(text))  # one digit, or ValueError ('', '-', 'x')
    return Fraction(text)

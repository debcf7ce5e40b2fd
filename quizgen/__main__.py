"""``python -m quizgen`` and the ``quizgen`` console script.

The command's modules take a moment to import; Ctrl-C in that moment ends the command
with one line, like Ctrl-C at any later point, instead of a traceback of the imports.
"""

import sys


def main() -> None:
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()

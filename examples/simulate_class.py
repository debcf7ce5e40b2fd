"""Fill in a roster build's answers-template.csv for a synthetic class, and say what was planted.

The empty CSV is the one 'quizgen exam build' wrote into the build folder (answers-template.csv).

    python examples/simulate_class.py BUILD_DIR --out answers.csv [--seed 5]

Each student of the roster has an ability; each blank gets the key's answer, one of the
variant's named mistakes, garbage, or nothing. Besides answers.csv it writes planted.csv:
how many students were given each named mistake, per question, template and blank. Then

    quizgen exam build examples/midterm.toml --out midterm-roster --roster examples/roster.csv
    python examples/simulate_class.py midterm-roster --out answers.csv
    quizgen grade midterm-roster answers.csv --out report

and report/mistakes.csv counts what planted.csv says (report/report.html draws it).
"""

import argparse
import csv
from pathlib import Path

import quizgen
from quizgen.marking.class_simulator import planted_counts, simulate_answers
from quizgen.marking.scans import load_build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", type=Path, help="the folder 'quizgen exam build --roster' wrote")
    parser.add_argument("--out", type=Path, required=True, help="the typed-answers CSV to write")
    parser.add_argument("--seed", type=int, default=5, help="the class's abilities and answers")
    args = parser.parse_args()
    try:
        build = load_build(args.build, sheets=False)
        name = build.manifest["files"].get("answers_template")
        if not name or not (args.build / name).is_file():
            raise SystemExit(f"Error: {args.build}: no answers-template.csv: build it again with this version of quizgen")
        empty = args.build / name
        text, planted = simulate_answers(build, quizgen.load_bank(), args.seed, empty.read_text(encoding="utf-8"))
    except quizgen.QuizgenError as error:
        raise SystemExit(f"Error: {error}") from None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    counts = planted_counts(planted, build)
    target = args.out.with_name("planted.csv")
    with target.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["question", "template", "blank", "mistake", "count"])
        writer.writerows([*key, count] for key, count in sorted(counts.items()))
    print(f"Wrote {args.out} ({len({k[0] for k in planted})} students) and {target} ({sum(counts.values())} planted mistakes)")


if __name__ == "__main__":
    main()

"""Paper exams: the exam spec, papers and keys in Typst and LaTeX, and the build that makes them."""

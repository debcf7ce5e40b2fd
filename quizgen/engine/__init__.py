"""The question engine: a template file becomes exact variants (values, answers, steps, mistakes).

It knows no output format: nothing here imports quizgen.formats, quizgen.exams or
quizgen.marking (tests/test_layout.py checks it).
"""

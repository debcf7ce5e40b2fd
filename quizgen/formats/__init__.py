"""One module per output a variant can be written as: JSON records, Moodle XML, GIFT, text, the self-test page.

Formats build on the engine only: nothing here imports quizgen.exams or quizgen.marking
(tests/test_layout.py checks it).
"""

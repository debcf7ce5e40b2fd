"""quizgen: auto-graded numerical questions for a deep-neural-networks course."""

__version__ = "0.1.0"

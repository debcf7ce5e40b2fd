"""The student's side of an answer: reading what was typed, marking it, and practice in the terminal."""

"""Quizzes: grading, attempts, spaced-repetition scheduling."""

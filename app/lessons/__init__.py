"""Lesson pages and the lessons API."""

"""Learners: guests from the first visit, accounts, sessions, API tokens."""

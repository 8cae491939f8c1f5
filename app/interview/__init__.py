"""Timed mock interviews: open questions one after another, follow-ups on missed points, one
report at the end."""

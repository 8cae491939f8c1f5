"""Progress: mastery, accuracy, activity, forecast and retention, as numbers and SVG charts."""

"""bertprep: interview preparation for the BERT family of encoders."""

__version__ = "0.1.0"

"""What some lab tests need beyond the app: PyTorch with transformers, and the fetched MiniLM.

Outside CI a test that lacks them skips; in CI (``CI`` set, as `.ci/run` does) it fails, so a
parity check can never pass by not running.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

from app.config import PROJECT_ROOT
from app.encoders.minilm import verify

__all__ = ["REPO_MODELS_DIR", "missing", "models_dir", "torch_and_transformers"]

REPO_MODELS_DIR = PROJECT_ROOT / "data" / "models"


def missing(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{message}; this test must run in CI")
    pytest.skip(message)


def torch_and_transformers() -> tuple[Any, Any]:
    """(torch, transformers) with torch on 2 threads, or skip / fail when either is missing."""
    try:
        import torch
        import transformers
    except ImportError as error:
        missing(f"{error.name} is not installed (parity with transformers needs it)")
    torch.set_num_threads(2)
    return torch, transformers


def models_dir() -> Path:
    """The repo's models directory holding the verified MiniLM (`make test` fetches it)."""
    if not verify(REPO_MODELS_DIR):
        missing(f"all-MiniLM-L6-v2 not in {REPO_MODELS_DIR} (run `bertprep fetch-model`)")
    return REPO_MODELS_DIR

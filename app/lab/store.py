"""Built models, kept for the life of the process: random weights from a fixed seed per
(variant, preset), and the pretrained MiniLM with its tokenizer when its files are present.

The tiny preset (and MiniLM) can be built at start-up in a background thread; larger presets are
built on first use. A setting caps the largest preset a server will build (a base DeBERTa alone
is 735 MB of float32 weights).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.encoders import minilm
from app.encoders.configs import PRESETS, EncoderConfig, Preset, Variant, config_for
from app.encoders.embedder import Embedder
from app.encoders.tokenizer import WordPieceTokenizer, load_tokenizer
from app.encoders.variants import ARCHITECTURES, MINILM

__all__ = ["SEED", "Built", "ModelStore", "PresetNotAllowed"]

log = logging.getLogger(__name__)

SEED = 1234


class PresetNotAllowed(ValueError):
    """The preset is larger than this server allows (the ``lab_max_preset`` setting)."""


@dataclass(frozen=True)
class Built:
    name: str  # variant or "minilm"
    config: EncoderConfig
    weights: Any
    pretrained: bool


class ModelStore:
    def __init__(
        self,
        *,
        models_dir: Path,
        max_preset: Preset,
        preload: Iterable[Preset],
        max_work_gflop: float = 2500.0,
    ) -> None:
        self.models_dir = models_dir
        self.max_preset = max_preset
        self.max_work_gflop = max_work_gflop
        self._preload = tuple(p for p in preload if self.allows(p))
        self._built: dict[tuple[str, Preset], Built] = {}
        self._locks: dict[tuple[str, Preset], threading.Lock] = {}
        self._guard = threading.Lock()
        self._minilm_loaded = threading.Event()
        self._pretrained_lock = threading.Lock()
        self._minilm: Built | None = None
        self._minilm_problem: str | None = None
        self._tokenizer: WordPieceTokenizer | None = None
        self._embedder: Embedder | None = None

    # --- what is allowed and loaded -----------------------------------------------------
    def allows(self, preset: Preset) -> bool:
        return PRESETS.index(preset) <= PRESETS.index(self.max_preset)

    def loaded(self, preset: Preset) -> bool:
        return all((v.value, preset) in self._built for v in Variant)

    def start_preloading(self) -> threading.Thread:
        """Build MiniLM and the preload presets in a background thread (start-up stays fast)."""
        thread = threading.Thread(target=self.preload, name="lab-preload", daemon=True)
        thread.start()
        return thread

    def preload(self) -> None:
        self.pretrained()
        for preset in self._preload:
            for variant in Variant:
                self.model(variant.value, preset)

    # --- models -------------------------------------------------------------------------
    def model(self, name: str, preset: Preset) -> Built:
        """The model ``name`` at ``preset`` (MiniLM ignores the preset), built on first use."""
        if name == MINILM:
            built = self.pretrained()
            if built is None:
                raise LookupError(self.minilm_problem or "the pretrained model is not available")
            return built
        if not self.allows(preset):
            raise PresetNotAllowed(
                f"this server builds presets up to '{self.max_preset.value}'; "
                f"'{preset.value}' is larger (setting BERTPREP_LAB_MAX_PRESET)"
            )
        key = (name, preset)
        found = self._built.get(key)
        if found is not None:
            return found
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # two requests for the same new model build it once
            found = self._built.get(key)
            if found is None:
                config = config_for(name, preset.value)
                weights = ARCHITECTURES[name].init_weights(config, SEED)
                found = self._built[key] = Built(name, config, weights, pretrained=False)
                log.info("lab: built %s at %s", name, preset.value)
        return found

    def pretrained(self) -> Built | None:
        """MiniLM with its trained weights, or None (``minilm_problem`` says why)."""
        if not self._minilm_loaded.is_set():  # after the first call: no lock taken
            with self._pretrained_lock:  # its own lock: building other models need not wait
                if not self._minilm_loaded.is_set():
                    self._load_pretrained()
                    self._minilm_loaded.set()
        return self._minilm

    @property
    def minilm_problem(self) -> str | None:
        self.pretrained()
        return self._minilm_problem

    @property
    def tokenizer(self) -> WordPieceTokenizer | None:
        self.pretrained()
        return self._tokenizer

    def embedder(self) -> Embedder | None:
        """MiniLM as a sentence embedder (for grading open answers), or None when not installed."""
        built, tokenizer = self.pretrained(), self.tokenizer
        if built is None or tokenizer is None:
            return None
        with self._pretrained_lock:
            if self._embedder is None:
                model = minilm.MiniLM(config=built.config, weights=built.weights)
                self._embedder = Embedder(model, tokenizer)
            return self._embedder

    def _load_pretrained(self) -> None:
        try:
            loaded = minilm.load_minilm(self.models_dir)
            self._tokenizer = load_tokenizer(self.models_dir)
        except (minilm.MiniLMError, OSError, ValueError) as exc:
            # The page says what happened; the server's log also says where.
            log.warning(
                "lab: the pretrained model in %s could not be read: %s", self.models_dir, exc
            )
            self._minilm_problem = (
                "the pretrained model's files on this server could not be read "
                "(its log says why; `bertprep fetch-model` fetches them again)"
            )
            return
        if loaded is None or self._tokenizer is None:
            log.info("lab: no pretrained model in %s (bertprep fetch-model)", self.models_dir)
            self._minilm_problem = (
                "the pretrained model is not installed on this server "
                "(`bertprep fetch-model` installs it); the lab runs on random weights only"
            )
            return
        self._minilm = Built(MINILM, loaded.config, loaded.weights, pretrained=True)

"""The five architectures (and the pretrained MiniLM) behind one table: what the lab runs.

Each entry names the module that builds and runs it and what a learner should know next to the
numbers: the lesson section the result proves and where its real tokenizer would differ from
the WordPiece tokenizer the lab uses for every variant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.encoders import albert, bert, deberta, distilbert, roberta
from app.encoders.configs import EncoderConfig, Variant
from app.encoders.encoder import EncoderOutput
from app.encoders.ops import Timer

__all__ = ["ARCHITECTURES", "MINILM", "Architecture", "Forward"]

MINILM = "minilm"

Ids = NDArray[np.int64]
Forward = Callable[..., EncoderOutput]


@dataclass(frozen=True)
class Architecture:
    name: str  # the variant name, or "minilm"
    title: str
    summary: str
    lesson_url: str
    tokenizer: str  # the tokenizer the published model uses
    init_weights: Callable[[EncoderConfig, int], Any]
    forward: Callable[..., EncoderOutput]

    def run(
        self, weights: Any, config: EncoderConfig, ids: Ids, mask: Ids, timer: Timer
    ) -> EncoderOutput:
        return self.forward(weights, config, ids, mask, timer=timer)


ARCHITECTURES: dict[str, Architecture] = {
    Variant.bert: Architecture(
        "bert",
        "BERT",
        "The reference: absolute positions, token types, erf GELU, a pooler.",
        "/lessons/bert#architecture",
        "WordPiece, 30,522 tokens (the lab's tokenizer)",
        bert.init_weights,
        bert.forward,
    ),
    Variant.roberta: Architecture(
        "roberta",
        "RoBERTa",
        "BERT's encoder with a 50k byte-level BPE vocabulary and positions offset past padding.",
        "/lessons/roberta#same-architecture-different-tokenizer",
        "byte-level BPE, 50,265 tokens: its own tokenizer would split text differently",
        roberta.init_weights,
        roberta.forward,
    ),
    Variant.distilbert: Architecture(
        "distilbert",
        "DistilBERT",
        "Half the layers, no token types, no pooler.",
        "/lessons/distilbert#speed-and-accuracy",
        "WordPiece, 30,522 tokens (the same as BERT's)",
        distilbert.init_weights,
        distilbert.forward,
    ),
    Variant.albert: Architecture(
        "albert",
        "ALBERT",
        "A factorised embedding (E then a projection to H) and one layer's weights applied L times.",
        "/lessons/albert#does-albert-run-faster",
        "SentencePiece, 30,000 tokens: the lab folds WordPiece ids into that range",
        albert.init_weights,
        albert.forward,
    ),
    Variant.deberta: Architecture(
        "deberta",
        "DeBERTa-v3",
        "Relative positions only, with content-to-position and position-to-content attention.",
        "/lessons/deberta#what-it-costs",
        "SentencePiece, 128,100 tokens: its own tokenizer would split text differently",
        deberta.init_weights,
        deberta.forward,
    ),
    MINILM: Architecture(
        MINILM,
        "MiniLM-L6 (pretrained)",
        "all-MiniLM-L6-v2: a real 6-layer distilled BERT (hidden 384), its trained weights.",
        "/lessons/distilbert#knowledge-distillation",
        "WordPiece, 30,522 tokens (the lab's tokenizer is this model's own)",
        bert.init_weights,
        bert.forward,
    ),
}

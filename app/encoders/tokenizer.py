"""The lab's tokenizer: all-MiniLM-L6-v2's WordPiece (the bert-base-uncased vocabulary).

Every variant in the lab is fed by this one tokenizer, so the same text gives the same ids
everywhere. (RoBERTa's own tokenizer is byte-level BPE and ALBERT's and DeBERTa-v3's are
SentencePiece; the lab says so where it matters.)

The trap: the model's ``tokenizer.json`` switches on padding to a fixed 128 tokens and truncation
to 128. Left on, every short sentence becomes 128 ids, mostly ``[PAD]``, and mean pooling without
the mask puts every sentence near the same point (cosines around 0.9). We switch padding off and
set truncation per call; ``encode_batch`` pads to the longest text itself and returns the mask.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from app.encoders.minilm import MODEL_NAME, CorruptModel

__all__ = ["MAX_LENGTH", "BatchEncoding", "Encoding", "WordPieceTokenizer", "load_tokenizer"]

MAX_LENGTH = 512
PAD_TOKEN = "[PAD]"


@dataclass(frozen=True, slots=True)
class Encoding:
    """One text: ids [seq] (int64), attention_mask [seq] (all ones) and the token strings."""

    ids: NDArray[np.int64]
    attention_mask: NDArray[np.int64]
    tokens: tuple[str, ...]
    truncated: bool = False  # the text had more tokens than max_length


@dataclass(frozen=True, slots=True)
class BatchEncoding:
    """Several texts padded to the longest: input_ids and attention_mask [batch, seq] (int64).

    ``tokens`` holds each text's own tokens, without the padding.
    """

    input_ids: NDArray[np.int64]
    attention_mask: NDArray[np.int64]
    tokens: tuple[tuple[str, ...], ...]


class WordPieceTokenizer:
    """``tokenizers.Tokenizer`` with padding off and truncation to ``max_length`` per call."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._truncation: int | None = None
        # Truncation is state on the shared Tokenizer: set it and encode under one lock, so two
        # requests asking for different lengths cannot see each other's setting.
        self._lock = threading.Lock()
        pad_id = tokenizer.token_to_id(PAD_TOKEN)
        self.pad_token_id = 0 if pad_id is None else pad_id

    @property
    def vocab_size(self) -> int:
        return int(self._tokenizer.get_vocab_size())

    def encode(self, text: str, max_length: int = MAX_LENGTH) -> Encoding:
        """``[CLS] text [SEP]`` as ids, at most ``max_length`` tokens (the special ones included)."""
        (encoding,) = self._encode([text], max_length)
        return encoding

    def encode_batch(self, texts: Sequence[str], max_length: int = MAX_LENGTH) -> BatchEncoding:
        """Each text encoded as by ``encode``, padded with ``[PAD]`` (mask 0) to the longest."""
        if not texts:
            raise ValueError("encode_batch needs at least one text")
        encodings = self._encode(list(texts), max_length)
        seq = max(len(e.ids) for e in encodings)
        input_ids = np.full((len(encodings), seq), self.pad_token_id, dtype=np.int64)
        attention_mask = np.zeros((len(encodings), seq), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            attention_mask[row, : len(encoding.ids)] = 1
        return BatchEncoding(input_ids, attention_mask, tuple(e.tokens for e in encodings))

    def _encode(self, texts: list[str], max_length: int) -> list[Encoding]:
        if not 2 <= max_length <= MAX_LENGTH:
            raise ValueError(
                f"max_length {max_length} is out of range: it must be between 2 "
                f"(room for [CLS] and [SEP]) and {MAX_LENGTH}"
            )
        with self._lock:
            if self._truncation != max_length:
                self._tokenizer.enable_truncation(max_length)
                self._truncation = max_length
            raw = self._tokenizer.encode_batch(texts)
        return [
            Encoding(
                ids=np.asarray(e.ids, dtype=np.int64),
                attention_mask=np.asarray(e.attention_mask, dtype=np.int64),
                tokens=tuple(e.tokens),
                truncated=bool(e.overflowing),
            )
            for e in raw
        ]


def load_tokenizer(models_dir: Path) -> WordPieceTokenizer | None:
    """The tokenizer from ``<models_dir>/all-MiniLM-L6-v2/tokenizer.json``; None when absent.

    Raises CorruptModel when the file is there but is not a tokenizer.
    """
    path = models_dir / MODEL_NAME / "tokenizer.json"
    if not path.is_file():
        return None
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for any parse error
        raise CorruptModel(f"{path}: not a readable tokenizer ({exc})") from None
    return WordPieceTokenizer(tokenizer)

"""Sentences to unit vectors with all-MiniLM-L6-v2: what the open-answer grader embeds with.

``Embedder(model, tokenizer)`` is a callable ``texts -> [n, 384]`` with a bounded cache, so the
texts every answer to a question is held against (its key points, misconceptions, reference) are
embedded once, and only the answer's own sentences run through the model.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from app.encoders.minilm import MiniLM, sentence_embeddings
from app.encoders.ops import Array
from app.encoders.tokenizer import WordPieceTokenizer

__all__ = ["Embedder"]


class Embedder:
    def __init__(self, model: MiniLM, tokenizer: WordPieceTokenizer, *, cache: int = 4096) -> None:
        self.model, self.tokenizer, self.limit = model, tokenizer, cache
        self._cache: OrderedDict[str, Array] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> Array:
        """[len(texts), hidden] unit-length rows, in the order given."""
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for text in known:
                self._cache.move_to_end(text)  # least recently used goes first
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        if todo:
            batch = self.tokenizer.encode_batch(todo)
            vectors = sentence_embeddings(self.model, batch.input_ids, batch.attention_mask)
            fresh = dict(zip(todo, vectors, strict=True))
            known.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self.limit:
                    self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts])

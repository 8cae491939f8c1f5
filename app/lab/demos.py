"""The lab's three small demos: tokenize a text four ways, a cosine matrix from MiniLM, and MiniLM
with int8 weights against float32.

- **Tokenize.** WordPiece is MiniLM's real tokenizer (bert-base-uncased's 30,522 entries). BPE,
  byte-level BPE and Unigram are trained by the ``tokenizers`` package on this site's own lesson
  text, with small vocabularies, the first time they are asked for, and kept as JSON under
  ``<data dir>/tokenizers`` (named by a hash of the text, so new lessons train new ones). They show
  how each algorithm splits a word, not what RoBERTa's or ALBERT's real vocabularies would do; the
  response says which is which. Without MiniLM, WordPiece is trained on the site's text too.
- **Similarity.** MiniLM's sentence embeddings (mean pooling, unit length, as the model was
  trained); the cosine of every pair.
- **Quantize.** ``app.encoders.quantize``: the encoder's matrices in int8 per output channel; the
  cosine of each sentence's int8 embedding to its float32 one, the bytes of both, and the latency
  of both measured interleaved. In numpy the int8 model multiplies in float32 after turning its
  weights back (no int8 matrix product uses BLAS), so it is slower here, not faster.

All three run on the lab's bounded pool (the API and page routes do that).
"""

from __future__ import annotations

import hashlib
import logging
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from app.content.index import Section
from app.encoders import quantize as q8
from app.encoders.minilm import MiniLM, sentence_embeddings
from app.lab.store import ModelStore

__all__ = [
    "KINDS",
    "TRAINED_VOCAB",
    "Demos",
    "Quantized",
    "Tokenized",
    "TokenizerInfo",
    "corpus_of",
]

log = logging.getLogger(__name__)

TRAINED_VOCAB = 2000  # small: a vocabulary learned from about 30,000 words of lesson text
KINDS = ("wordpiece", "bpe", "byte-bpe", "unigram")
SITE_TEXT = "this site's lesson text (a small vocabulary, not the model's real one)"
_UNK = "[UNK]"


@dataclass(frozen=True)
class TokenizerInfo:
    name: str
    kind: str
    vocab_size: int
    trained_on: str
    used_by: str
    split: Callable[[str], list[tuple[str, bool]]]  # text -> (token, unknown?), no special ones


@dataclass(frozen=True)
class Tokenized:
    name: str
    kind: str
    vocab_size: int
    trained_on: str
    used_by: str
    tokens: list[str]
    count: int
    unknown: list[int]  # positions of the tokens the vocabulary does not know


@dataclass(frozen=True)
class Quantized:
    weight_bytes_fp32: int
    weight_bytes_int8: int
    cosine: list[float]
    fp32_ms: float
    int8_ms: float
    runs: int
    max_abs_error: float  # the largest |W - dequantized W| over all quantized matrices


_USED_BY = {
    "wordpiece": "BERT, DistilBERT, MiniLM",
    "bpe": "the original subword NMT (Sennrich et al.); GPT-1",
    "byte-bpe": "GPT-2, RoBERTa, DeBERTa (v1)",
    "unigram": "ALBERT, DeBERTaV3, T5 (SentencePiece)",
}
_TITLES = {
    "wordpiece": "WordPiece",
    "bpe": "BPE",
    "byte-bpe": "Byte-level BPE",
    "unigram": "Unigram (SentencePiece)",
}


def _untrained(kind: str) -> tuple[Tokenizer, trainers.Trainer]:
    """A tokenizer of ``kind`` before training, and the trainer that fills its vocabulary."""
    specials = [_UNK, "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    if kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token=_UNK))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        return tok, trainers.WordPieceTrainer(vocab_size=TRAINED_VOCAB, special_tokens=specials)
    if kind == "bpe":
        tok = Tokenizer(models.BPE(unk_token=_UNK, end_of_word_suffix="</w>"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        tok.decoder = decoders.BPEDecoder(suffix="</w>")
        return tok, trainers.BpeTrainer(
            vocab_size=TRAINED_VOCAB, special_tokens=specials, end_of_word_suffix="</w>"
        )
    if kind == "byte-bpe":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        return tok, trainers.BpeTrainer(
            vocab_size=TRAINED_VOCAB,
            special_tokens=["<s>", "</s>", "<pad>", "<mask>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
    if kind == "unigram":
        tok = Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        return tok, trainers.UnigramTrainer(
            vocab_size=TRAINED_VOCAB, special_tokens=["<unk>", "[CLS]", "[SEP]"], unk_token="<unk>"
        )
    raise ValueError(f"unknown tokenizer kind {kind!r}")


def _train(kind: str, corpus: Sequence[str]) -> Tokenizer:
    tokenizer, trainer = _untrained(kind)
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    return tokenizer


class Demos:
    """The demos' state: the trained tokenizers (built once) and MiniLM's int8 weights."""

    def __init__(self, *, store: ModelStore, corpus: Sequence[str], cache_dir: Path) -> None:
        self.store, self.cache_dir = store, cache_dir
        self.corpus = [text for text in corpus if text.strip()]
        self.corpus_hash = hashlib.sha256("\n".join(self.corpus).encode()).hexdigest()[:12]
        self._lock = threading.Lock()
        self._tokenizers: list[TokenizerInfo] | None = None
        self._int8: tuple[MiniLM, MiniLM, float, int, int] | None = None
        self._quantized: q8.QuantizedWeights | None = None

    # --- tokenize ---------------------------------------------------------------------------
    def _trained(self, kind: str) -> Tokenizer:
        """Trained on the site's text, from the cache file when it is there and readable."""
        path = self.cache_dir / f"{kind}-{TRAINED_VOCAB}-{self.corpus_hash}.json"
        try:
            return Tokenizer.from_file(str(path))
        except Exception:  # missing or unreadable (tokenizers raises a bare Exception): train again
            pass
        started = time.perf_counter()
        tokenizer = _train(kind, self.corpus)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            tokenizer.save(str(partial))
            partial.replace(path)
        except OSError as exc:
            log.warning("lab: could not keep the %s tokenizer in %s: %s", kind, path, exc)
        log.info("lab: trained the %s tokenizer in %.2f s", kind, time.perf_counter() - started)
        return tokenizer

    def tokenizers(self) -> list[TokenizerInfo]:
        with self._lock:
            if self._tokenizers is None:
                self._tokenizers = [self._info(kind) for kind in KINDS]
            return self._tokenizers

    def _info(self, kind: str) -> TokenizerInfo:
        real = self.store.tokenizer if kind == "wordpiece" else None
        if real is not None:
            return TokenizerInfo(
                name=f"{_TITLES[kind]} (MiniLM's own)",
                kind=kind,
                vocab_size=real.vocab_size,
                trained_on="BERT's real vocabulary (bert-base-uncased), as all-MiniLM-L6-v2 uses it",
                used_by=_USED_BY[kind],
                split=lambda text: [(t, t == _UNK) for t in real.encode(text).tokens[1:-1]],
            )
        trained = self._trained(kind)
        unk = {trained.token_to_id(token) for token in (_UNK, "<unk>")} - {None}

        def split(text: str) -> list[tuple[str, bool]]:
            encoding = trained.encode(text, add_special_tokens=False)
            return [(t, i in unk) for t, i in zip(encoding.tokens, encoding.ids, strict=True)]

        return TokenizerInfo(
            name=f"{_TITLES[kind]} (trained here)",
            kind=kind,
            vocab_size=trained.get_vocab_size(),
            trained_on=SITE_TEXT,
            used_by=_USED_BY[kind],
            split=split,
        )

    def tokenize(self, text: str) -> list[Tokenized]:
        out = []
        for info in self.tokenizers():
            pieces = info.split(text)
            out.append(
                Tokenized(
                    name=info.name,
                    kind=info.kind,
                    vocab_size=info.vocab_size,
                    trained_on=info.trained_on,
                    used_by=info.used_by,
                    tokens=[token for token, _ in pieces],
                    count=len(pieces),
                    unknown=[i for i, (_, unknown) in enumerate(pieces) if unknown],
                )
            )
        return out

    # --- similarity -------------------------------------------------------------------------
    def similarity(self, sentences: Sequence[str]) -> list[list[float]]:
        embed = self.store.embedder()
        if embed is None:
            raise LookupError(self.store.minilm_problem or "MiniLM is not available")
        vectors = embed(list(sentences))  # [n, 384], unit length
        matrix = np.clip(vectors @ vectors.T, -1.0, 1.0)
        return [[round(float(v), 4) for v in row] for row in matrix]

    # --- quantize ---------------------------------------------------------------------------
    def _models(self) -> tuple[MiniLM, MiniLM, float, int, int]:
        """MiniLM in float32 and with int8 weights (dequantized for numpy), built once."""
        built = self.store.pretrained()
        if built is None:
            raise LookupError(self.store.minilm_problem or "MiniLM is not available")
        with self._lock:
            if self._int8 is None:
                quantized = q8.quantize(built.weights)
                weights = q8.dequantized(quantized)
                error = max(
                    float(np.abs(getattr(a, name) - getattr(b, name)).max())
                    for a, b in zip(built.weights.layers, weights.layers, strict=True)
                    for name in q8.LAYER_MATRICES
                )
                self._int8 = (
                    MiniLM(config=built.config, weights=built.weights),
                    MiniLM(config=built.config, weights=weights),
                    error,
                    quantized.float32_bytes,
                    quantized.int8_bytes,
                )
                self._quantized = quantized
            return self._int8

    def quantize(self, sentences: Sequence[str], *, runs: int) -> Quantized:
        fp32, int8, error, fp32_bytes, int8_bytes = self._models()
        tokenizer = self.store.tokenizer
        assert tokenizer is not None  # pretrained() succeeded, so it was read too
        batch = tokenizer.encode_batch(list(sentences))
        quantized = self._quantized
        assert quantized is not None  # built by _models() with the rest

        def run_fp32() -> np.ndarray:
            return sentence_embeddings(fp32, batch.input_ids, batch.attention_mask)

        def run_int8() -> np.ndarray:
            # What int8 weights cost numpy: back to float32 at every pass, then float32 maths.
            model = MiniLM(config=int8.config, weights=q8.dequantized(quantized))
            return sentence_embeddings(model, batch.input_ids, batch.attention_mask)

        a, b = run_fp32(), run_int8()  # warm-up, and the embeddings compared
        times: dict[str, list[float]] = {"fp32": [], "int8": []}
        passes: tuple[tuple[str, Callable[[], np.ndarray]], ...] = (
            ("fp32", run_fp32),
            ("int8", run_int8),
        )
        for index in range(runs):
            order = passes if index % 2 == 0 else passes[::-1]  # interleaved, alternating first
            for name, work in order:
                started = time.perf_counter()
                work()
                times[name].append((time.perf_counter() - started) * 1000)
        cosine = np.clip((a * b).sum(axis=1), -1.0, 1.0)
        return Quantized(
            weight_bytes_fp32=fp32_bytes,
            weight_bytes_int8=int8_bytes,
            cosine=[round(float(c), 6) for c in cosine],
            fp32_ms=round(statistics.median(times["fp32"]), 3),
            int8_ms=round(statistics.median(times["int8"]), 3),
            runs=runs,
            max_abs_error=error,
        )


def corpus_of(sections: Sequence[Section]) -> list[str]:
    """The text the trained tokenizers learn from: every lesson section's plain text."""
    return [section.text for section in sections]

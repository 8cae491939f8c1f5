"""``/api/v1/lab/tokenize``, ``/similarity`` and ``/quantize``: the lab's three demos
(``app.lab.demos``), on the same bounded pool as the lab's runs (429 when it is full)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, Field

from app.api import problem_responses
from app.lab.api import lab_pool
from app.lab.demos import Demos, Quantized, Tokenized
from app.lab.requests import Refused

__all__ = [
    "MAX_DEMO_TEXT",
    "MAX_SENTENCE_CHARS",
    "QuantizeIn",
    "SimilarityIn",
    "TokenizeIn",
    "demos_of",
    "needs_minilm",
    "router",
]

router = APIRouter(prefix="/api/v1/lab", tags=["lab"])

MAX_DEMO_TEXT = 1000
MAX_SENTENCE_CHARS = 300
MAX_QUANTIZE_RUNS = 20


def demos_of(request: Request) -> Demos:
    demos: Demos = request.app.state.lab_demos
    return demos


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("is empty: type some words")
    return text


def _sentences_not_blank(sentences: list[str]) -> list[str]:
    blank = [str(i + 1) for i, s in enumerate(sentences) if not s.strip()]
    if blank:
        raise ValueError(f"sentence {', '.join(blank)} is empty: type some words or remove it")
    return sentences


Sentence = Annotated[str, Field(max_length=MAX_SENTENCE_CHARS)]


class TokenizeIn(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=MAX_DEMO_TEXT), AfterValidator(_not_blank)]


class TokenizerOut(BaseModel):
    name: str
    kind: str = Field(description="wordpiece, bpe, byte-bpe or unigram")
    vocab_size: int
    trained_on: str = Field(description="MiniLM's real vocabulary, or this site's lesson text")
    used_by: str = Field(description="models that use this kind of tokenizer")
    tokens: list[str]
    count: int
    unknown: list[int] = Field(description="positions of tokens the vocabulary does not know")


class TokenizeOut(BaseModel):
    tokenizers: list[TokenizerOut]


class SimilarityIn(BaseModel):
    sentences: Annotated[
        list[Sentence], Field(min_length=2, max_length=8), AfterValidator(_sentences_not_blank)
    ]


class SimilarityOut(BaseModel):
    sentences: list[str]
    matrix: list[list[float]] = Field(description="cosine of every pair; 1 on the diagonal")
    model: str = "all-MiniLM-L6-v2 (mean pooling, unit length)"


class QuantizeIn(BaseModel):
    sentences: Annotated[
        list[Sentence], Field(min_length=1, max_length=8), AfterValidator(_sentences_not_blank)
    ]
    runs: int = Field(default=7, ge=1, le=MAX_QUANTIZE_RUNS, description="timed runs of each")


class LatencyPair(BaseModel):
    fp32_ms: float = Field(description="median of the float32 passes")
    int8_ms: float = Field(
        description="median of the int8 passes: weights turned back to float32, then float32 maths"
    )
    runs: int


class QuantizeOut(BaseModel):
    weight_bytes_fp32: int = Field(description="the encoder's matrices in float32 (no biases)")
    weight_bytes_int8: int = Field(description="the same as int8, with one float32 scale per row")
    cosine: list[float] = Field(description="per sentence: int8 embedding against float32")
    latency: LatencyPair
    max_abs_error: float = Field(description="largest |W - int8 W| over the quantized matrices")
    note: str


INT8_NOTE = (
    "numpy has no int8 matrix product that uses BLAS, so the int8 model turns its weights back "
    "into float32 at every pass and multiplies in float32: a quarter of the memory at rest, and "
    "slower, not faster. Int8 pays off with int8 kernels (VNNI on x86 CPUs, Tensor Cores on GPUs) "
    "that quantize the activations too."
)


def _tokenized(t: Tokenized) -> TokenizerOut:
    return TokenizerOut(**t.__dict__)


def _quantized(q: Quantized) -> QuantizeOut:
    return QuantizeOut(
        weight_bytes_fp32=q.weight_bytes_fp32,
        weight_bytes_int8=q.weight_bytes_int8,
        cosine=q.cosine,
        latency=LatencyPair(fp32_ms=q.fp32_ms, int8_ms=q.int8_ms, runs=q.runs),
        max_abs_error=q.max_abs_error,
        note=INT8_NOTE,
    )


def needs_minilm(demos: Demos) -> None:
    problem = demos.store.minilm_problem
    if problem is not None:
        # As the lab refuses a MiniLM run on such a server (422, ``Refused``): the request cannot
        # be served here until someone installs the model, and retrying will not help.
        raise Refused(f"This demo runs all-MiniLM-L6-v2, and {problem}.", code="minilm", field=None)


@router.post(
    "/tokenize",
    summary="A text split by four tokenizers: WordPiece, BPE, byte-level BPE, Unigram",
    responses=problem_responses(422, 429),
)
async def tokenize(body: TokenizeIn, request: Request) -> TokenizeOut:
    demos = demos_of(request)
    result = await lab_pool(request).run(lambda: demos.tokenize(body.text))
    return TokenizeOut(tokenizers=[_tokenized(t) for t in result])


@router.post(
    "/similarity",
    summary="The cosine of every pair of 2-8 sentences, from MiniLM",
    responses=problem_responses(422, 429),
)
async def similarity(body: SimilarityIn, request: Request) -> SimilarityOut:
    demos = demos_of(request)
    needs_minilm(demos)
    matrix = await lab_pool(request).run(lambda: demos.similarity(body.sentences))
    return SimilarityOut(sentences=body.sentences, matrix=matrix)


@router.post(
    "/quantize",
    summary="MiniLM with int8 weights against float32: bytes, cosine per sentence, latency",
    responses=problem_responses(422, 429),
)
async def quantize(body: QuantizeIn, request: Request) -> QuantizeOut:
    demos = demos_of(request)
    needs_minilm(demos)
    result = await lab_pool(request).run(lambda: demos.quantize(body.sentences, runs=body.runs))
    return _quantized(result)

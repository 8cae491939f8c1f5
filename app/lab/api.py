"""``/api/v1/lab``: the variants, their cost, live runs and comparisons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from app.api import problem_responses
from app.encoders import cost
from app.encoders.configs import PRESETS, Variant, config_for
from app.encoders.variants import ARCHITECTURES, MINILM
from app.lab import service
from app.lab.pool import LabPool
from app.lab.requests import CompareIn, CostQuery, RunIn
from app.lab.results import Compared, Row
from app.lab.store import ModelStore

__all__ = ["lab_pool", "lab_store", "router"]

router = APIRouter(prefix="/api/v1/lab", tags=["lab"])


def lab_store(request: Request) -> ModelStore:
    store: ModelStore = request.app.state.lab_store
    return store


def lab_pool(request: Request) -> LabPool:
    pool: LabPool = request.app.state.lab_pool
    return pool


# --- schemas --------------------------------------------------------------------------------


class PresetOut(BaseModel):
    name: str
    hidden_size: int
    num_attention_heads: int
    intermediate_size: int
    albert_embedding_size: int
    allowed: bool = Field(description="whether this server builds it (setting lab_max_preset)")
    loaded: bool = Field(description="whether its five models are built already")


class VariantOut(BaseModel):
    name: str
    title: str
    summary: str
    lesson_url: str
    tokenizer: str
    available: bool
    note: str | None = None


class PoolOut(BaseModel):
    busy: int = Field(description="runs admitted now (running or waiting)")
    capacity: int = Field(description="runs admitted at most; one more gets 429")
    workers: int


class VariantsOut(BaseModel):
    variants: list[VariantOut]
    presets: list[PresetOut]
    weights: str = Field(description="what the weights are, and what that means for the figures")
    pool: PoolOut


class ParametersOut(BaseModel):
    embeddings: int
    encoder: int
    pooler: int
    total: int
    encoder_applied: int = Field(
        description="encoder parameters as applied (ALBERT reuses one layer)"
    )
    total_applied: int
    parts: dict[str, int]


class CostOut(BaseModel):
    variant: str
    preset: str
    seq_len: int
    parameters: ParametersOut
    flops: dict[str, int] = Field(description="matmul FLOPs by module (1 multiply-add = 2 FLOPs)")
    flops_total: int
    relative_rows: int = Field(description="DeBERTa: relative-table rows projected per layer")
    weight_bytes: int
    activation_bytes: int = Field(description="estimated peak float32 activations")
    implementation: str


class LatencyOut(BaseModel):
    median_ms: float
    p10_ms: float
    p90_ms: float
    runs_ms: list[float]


_MODULES_DOC = "time by module of one pass timed by module (the median of three such passes)"
_OTHER_DOC = (
    "that pass's time outside every module: buffers, the mask, glue between modules, Python "
    "and the timer's own overhead"
)
_PASS_DOC = "that pass's whole time: sum(modules_ms) + other_ms (a little over the median latency)"


class RunOut(BaseModel):
    variant: str
    preset: str
    pretrained: bool
    seq_len: int
    tokens: list[str] | None
    truncated: bool
    latency: LatencyOut
    modules_ms: dict[str, float] = Field(description=_MODULES_DOC)
    other_ms: float = Field(description=_OTHER_DOC)
    module_pass_ms: float = Field(description=_PASS_DOC)
    parameters: ParametersOut
    flops: dict[str, int]
    flops_total: int
    gflops_per_s: float
    environment: dict[str, Any]


class CompareRowOut(BaseModel):
    variant: str
    title: str
    pretrained: bool
    params_total: int
    params_embeddings: int
    flops_total: int
    latency_ms_median: float
    latency_ms_p10: float
    latency_ms_p90: float
    modules_ms: dict[str, float] = Field(description=_MODULES_DOC)
    other_ms: float = Field(description=_OTHER_DOC)
    module_pass_ms: float = Field(description=_PASS_DOC)
    gflops_per_s: float
    params_ratio: float
    flops_ratio: float
    latency_ratio: float = Field(
        description="median over the rounds of this model's time over BERT's in the same round"
    )
    latency_ratio_p10: float = Field(description="10th percentile of those per-round ratios")
    latency_ratio_p90: float = Field(description="90th percentile of those per-round ratios")
    same_within_noise: bool = Field(
        description="the p10-p90 range holds 1: this run cannot tell this model's time from BERT's"
    )
    explanation: str
    lesson_url: str


class PredictionOut(BaseModel):
    predicted: list[str]
    measured: list[str]
    pairs_right: int
    pairs: int
    exact: int
    message: str


class CompareOut(BaseModel):
    preset: str
    seq_len: int
    tokens: list[str] | None
    truncated: bool
    runs: int
    rows: list[CompareRowOut]
    prediction: PredictionOut | None
    noisy: bool = Field(
        description="some model's p10-p90 spread exceeds half its median: run again, with more runs"
    )
    environment: dict[str, Any]
    blas_threads: int | None = Field(
        default=None,
        description="BLAS threads the timed passes ran on, where the preset fixes them (tiny: 1); "
        "else those in environment.blas",
    )


def _parameters(p: cost.Parameters) -> ParametersOut:
    return ParametersOut(
        embeddings=p.embeddings,
        encoder=p.encoder,
        pooler=p.pooler,
        total=p.total,
        encoder_applied=p.encoder_applied,
        total_applied=p.total_applied,
        parts=p.parts,
    )


def compare_out(result: Compared, environment: dict[str, Any]) -> CompareOut:
    def row(r: Row) -> CompareRowOut:
        latency = r.measured.latency
        assert r.latency_spread is not None, "a compare always runs BERT"
        spread = r.latency_spread
        return CompareRowOut(
            variant=r.name,
            title=r.title,
            pretrained=r.pretrained,
            params_total=r.cost.parameters.total,
            params_embeddings=r.cost.parameters.embeddings,
            flops_total=r.cost.flops_total,
            latency_ms_median=round(latency.median_ms, 4),
            latency_ms_p10=round(latency.p10_ms, 4),
            latency_ms_p90=round(latency.p90_ms, 4),
            modules_ms={k: round(v, 4) for k, v in r.measured.modules_ms.items()},
            other_ms=round(r.measured.other_ms, 4),
            module_pass_ms=round(r.measured.module_pass_ms, 4),
            gflops_per_s=round(r.gflops_per_s, 2),
            params_ratio=round(r.ratios["params"], 4),
            flops_ratio=round(r.ratios["flops"], 4),
            latency_ratio=round(spread.median, 4),
            latency_ratio_p10=round(spread.p10, 4),
            latency_ratio_p90=round(spread.p90, 4),
            same_within_noise=spread.within_noise,
            explanation=r.explanation,
            lesson_url=r.lesson_url,
        )

    guess = result.prediction
    return CompareOut(
        preset=result.preset.value,
        seq_len=result.lab_input.seq_len,
        tokens=list(result.lab_input.tokens) if result.lab_input.tokens else None,
        truncated=result.lab_input.truncated,
        runs=result.runs,
        rows=[row(r) for r in result.rows],
        prediction=PredictionOut(
            predicted=list(guess.predicted),
            measured=list(guess.measured),
            pairs_right=guess.pairs_right,
            pairs=guess.pairs,
            exact=guess.exact,
            message=guess.message,
        )
        if guess
        else None,
        noisy=result.noisy,
        environment=environment,
        blas_threads=result.blas_threads,
    )


# --- routes ---------------------------------------------------------------------------------


@router.get("/variants", summary="The variants and presets the lab runs")
async def variants(request: Request) -> VariantsOut:
    store, pool = lab_store(request), lab_pool(request)
    minilm_problem = store.minilm_problem
    presets = []
    for preset in PRESETS:
        albert = config_for(Variant.albert, preset.value)
        presets.append(
            PresetOut(
                name=preset.value,
                hidden_size=albert.hidden_size,
                num_attention_heads=albert.num_attention_heads,
                intermediate_size=albert.intermediate_size,
                albert_embedding_size=albert.embedding_width,
                allowed=store.allows(preset),
                loaded=store.loaded(preset),
            )
        )
    return VariantsOut(
        variants=[
            VariantOut(
                name=a.name,
                title=a.title,
                summary=a.summary,
                lesson_url=a.lesson_url,
                tokenizer=a.tokenizer,
                available=a.name != MINILM or minilm_problem is None,
                note=minilm_problem if a.name == MINILM else None,
            )
            for a in ARCHITECTURES.values()
        ],
        presets=presets,
        weights=service.WEIGHTS_NOTE,
        pool=PoolOut(busy=pool.busy, capacity=pool.capacity, workers=pool.workers),
    )


@router.get(
    "/cost",
    summary="Parameters, FLOPs by module and memory of one forward pass (no run)",
    responses=problem_responses(422),
)
async def cost_of(request: Request, query: Annotated[CostQuery, Query()]) -> CostOut:
    variant, preset = query.variant, query.preset
    minilm = variant == MINILM
    config = (
        service.pretrained(lab_store(request)).config if minilm else config_for(variant, preset)
    )
    c = cost.cost(config, query.seq_len, implementation=query.implementation)
    return CostOut(
        variant=variant,
        preset="pretrained" if minilm else preset,
        seq_len=query.seq_len,
        parameters=_parameters(c.parameters),
        flops=c.flops,
        flops_total=c.flops_total,
        relative_rows=c.relative_rows,
        weight_bytes=c.weight_bytes,
        activation_bytes=c.activation_bytes,
        implementation=query.implementation,
    )


@router.post(
    "/run",
    summary="Run one variant: latency (median, p10, p90), time per module, achieved GFLOP/s",
    responses=problem_responses(400, 413, 422, 429),
)
async def run(body: RunIn, request: Request) -> RunOut:
    result = await _measure(request, body)
    lab_input, pool = result.lab_input, lab_pool(request)
    (row,) = [r for r in result.rows if r.name == body.variant]
    latency = row.measured.latency
    return RunOut(
        variant=row.name,
        preset=result.preset.value,
        pretrained=row.pretrained,
        seq_len=lab_input.seq_len,
        tokens=list(lab_input.tokens) if lab_input.tokens else None,
        truncated=lab_input.truncated,
        latency=LatencyOut(
            median_ms=latency.median_ms,
            p10_ms=latency.p10_ms,
            p90_ms=latency.p90_ms,
            runs_ms=list(latency.runs_ms),
        ),
        modules_ms=row.measured.modules_ms,
        other_ms=row.measured.other_ms,
        module_pass_ms=row.measured.module_pass_ms,
        parameters=_parameters(row.cost.parameters),
        flops=row.cost.flops,
        flops_total=row.cost.flops_total,
        gflops_per_s=round(row.gflops_per_s, 2),
        environment=service.environment(workers=pool.workers),
    )


@router.post(
    "/compare",
    summary="Run several variants on the same input, interleaved, with ratios to BERT",
    responses=problem_responses(400, 413, 422, 429),
)
async def compare(body: CompareIn, request: Request) -> CompareOut:
    result = await _measure(request, body)
    return compare_out(result, service.environment(workers=lab_pool(request).workers))


async def _measure(request: Request, body: RunIn | CompareIn) -> Compared:
    """The request checked against this server (422 before any work), then the models measured
    on the pool (429 when it is full): what /run and /compare share."""
    store, pool = lab_store(request), lab_pool(request)
    checked = service.check_compare(store, body)
    return await pool.run(lambda: service.compare(store, checked))

"""``/lab``: run the five encoders (and MiniLM) on this server, side by side, from a plain form.

``GET /lab`` shows the forms; ``POST /lab`` compares the variants on one input and ``POST
/lab/sweep`` times them at several sequence lengths. Both go through the lab's bounded pool, with
the same checks as the JSON API, and render the page again: with the results, or with the
learner's inputs kept and a message that says what to change (422, or 429 when the lab is busy).
Everything works without JavaScript; ``static/js/lab.js`` adds a progress line while a run is on.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.accounts.identity import FormIdentity, PageIdentity
from app.content import ContentIndex
from app.encoders import cost
from app.encoders.configs import PRESETS, EncoderConfig, Preset, config_for
from app.encoders.tokenizer import WordPieceTokenizer
from app.encoders.variants import ARCHITECTURES, MINILM
from app.errors import InvalidInput, RateLimited
from app.forms import ascii_int
from app.lab import charts, service
from app.lab.api import WEIGHTS_NOTE
from app.lab.pool import LabPool
from app.lab.service import MAX_RUNS, MAX_SEQ_LEN, MAX_TEXT_CHARS, SWEEP_LENGTHS, Compared, Row
from app.lab.store import Built, ModelStore
from app.lab.timing import MODULE_PASSES, WARMUP
from app.web import ContentDep, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

EXAMPLE_TEXT = (
    "She sat on the river bank and watched the bank across the road open its doors, "
    "wondering which meaning a model would give each word."
)
DEFAULT_SEQ_LEN = 64
DEFAULT_RUNS = service.DEFAULT_RUNS
DEFAULT_SWEEP_RUNS = 3
DEFAULT_SWEEP_LENGTHS = SWEEP_LENGTHS[:4]  # up to 128: a few seconds at the tiny preset
TOKENS_SHOWN = 64
FIVE = service.FIVE

PRESET_NOTES = {
    Preset.tiny: "H 128",
    Preset.small: "H 256",
    Preset.medium: "H 512",
    Preset.base: "H 768, as published",
}


async def _store(request: Request) -> ModelStore:
    store: ModelStore = request.app.state.lab_store
    return store


async def _pool(request: Request) -> LabPool:
    pool: LabPool = request.app.state.lab_pool
    return pool


StoreDep = Annotated[ModelStore, Depends(_store)]
PoolDep = Annotated[LabPool, Depends(_pool)]


# --- what this server offers ------------------------------------------------------------------


@dataclass(frozen=True)
class PresetChoice:
    name: str
    label: str
    loaded: bool


@dataclass(frozen=True)
class Server:
    """What the forms may offer: presets, MiniLM and the tokenizer (read off the thread loop,
    since the first look loads MiniLM)."""

    presets: tuple[PresetChoice, ...]
    max_preset: str
    tokenizer: WordPieceTokenizer | None
    minilm: Built | None
    minilm_problem: str | None

    @property
    def variants(self) -> tuple[str, ...]:
        return (*FIVE, MINILM) if self.minilm is not None else FIVE

    def preset_allowed(self, name: str) -> bool:
        return any(p.name == name for p in self.presets)


def _server(store: ModelStore) -> Server:
    presets = tuple(
        PresetChoice(
            p.value,
            f"{p.value} · {PRESET_NOTES[p]}",
            store.loaded(p),
        )
        for p in PRESETS
        if store.allows(p)
    )
    return Server(
        presets, store.max_preset.value, store.tokenizer, store.pretrained(), store.minilm_problem
    )


# --- the two forms, as the learner filled them in ---------------------------------------------


@dataclass
class CompareFields:
    source: str = "text"  # "text" or "length"
    text: str = EXAMPLE_TEXT
    seq_len: str = str(DEFAULT_SEQ_LEN)
    preset: str = Preset.tiny.value
    runs: str = str(DEFAULT_RUNS)
    variants: tuple[str, ...] = ()
    ranks: dict[str, str] = field(default_factory=dict)
    focus: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> CompareFields:
        return cls(
            source=str(form.get("source") or "text"),
            text=str(form.get("text") or ""),
            seq_len=str(form.get("seq_len") or "").strip(),
            preset=str(form.get("preset") or Preset.tiny.value),
            runs=str(form.get("runs") or "").strip(),
            variants=tuple(str(v) for v in form.getlist("variants")),
            ranks={v: str(form.get(f"rank_{v}") or "") for v in FIVE},
            focus=str(form.get("focus") or ""),
        )


@dataclass
class SweepFields:
    preset: str = Preset.tiny.value
    runs: str = str(DEFAULT_SWEEP_RUNS)
    lengths: tuple[str, ...] = tuple(str(n) for n in DEFAULT_SWEEP_LENGTHS)
    variants: tuple[str, ...] = ()

    @classmethod
    def from_form(cls, form: FormData) -> SweepFields:
        return cls(
            preset=str(form.get("preset") or Preset.tiny.value),
            runs=str(form.get("runs") or "").strip(),
            lengths=tuple(str(v) for v in form.getlist("lengths")),
            variants=tuple(str(v) for v in form.getlist("variants")),
        )


def _problem(message: str, loc: str) -> InvalidInput:
    """An InvalidInput that names the form field to fix (the page marks it)."""
    return InvalidInput(message, errors=[{"loc": [loc], "msg": message}])


def _whole(raw: str, *, label: str, loc: str, low: int, high: int) -> int:
    value = ascii_int(raw)
    if value is None:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        raise _problem(
            f"{label} must be a whole number from {low} to {high}; you sent '{shown}'.", loc
        )
    if not low <= value <= high:
        raise _problem(f"{label} must be from {low} to {high}; you sent {value}.", loc)
    return value


def _chosen(variants: Sequence[str], server: Server) -> list[str]:
    unknown = [v for v in variants if v not in ARCHITECTURES]
    if unknown:
        raise _problem(
            f"There is no variant '{unknown[0]}'; choose from {', '.join(ARCHITECTURES)}.",
            "variants",
        )
    if MINILM in variants and server.minilm is None:
        raise _problem(f"MiniLM cannot run here: {server.minilm_problem}", "variants")
    return ["bert", *(v for v in dict.fromkeys(variants) if v != "bert")]


def _preset_name(raw: str, server: Server) -> str:
    known = [p.value for p in PRESETS]
    if raw not in known:
        raise _problem(f"There is no preset '{raw}'; choose from {', '.join(known)}.", "preset")
    if not server.preset_allowed(raw):
        raise _problem(
            f"This server runs presets up to '{server.max_preset}'; '{raw}' is larger.", "preset"
        )
    return raw


def _prediction(ranks: Mapping[str, str], names: Sequence[str]) -> list[str] | None:
    """The ranked variants, fastest first; None when nothing is ranked."""
    given: dict[str, int] = {}
    for name in FIVE:
        raw = ranks.get(name, "")
        if raw:
            given[name] = _whole(
                raw, label=f"{ARCHITECTURES[name].title}'s rank", loc="ranks", low=1, high=5
            )
    if not given:
        return None
    by_rank: dict[int, list[str]] = {}
    for name, rank in given.items():
        by_rank.setdefault(rank, []).append(ARCHITECTURES[name].title)
    for rank, titles in sorted(by_rank.items()):
        if len(titles) > 1:
            raise _problem(
                f"Rank {rank} is given to both {' and '.join(titles)}: use each rank once, "
                "1 for the fastest.",
                "ranks",
            )
    if len(given) < 2:
        raise _problem("Rank at least two variants to make a prediction, or none.", "ranks")
    missing = [ARCHITECTURES[n].title for n in given if n not in names]
    if missing:
        raise _problem(
            f"You ranked {', '.join(missing)} but did not tick it to run: tick it, or clear its rank.",
            "ranks",
        )
    predicted = sorted(given, key=given.__getitem__)
    service.check_prediction(predicted, names)
    return predicted


@dataclass(frozen=True)
class CompareRequest:
    lab_input: service.LabInput
    preset: Preset
    names: tuple[str, ...]
    runs: int
    predicted: list[str] | None


def _check_compare(f: CompareFields, store: ModelStore, server: Server) -> CompareRequest:
    """Every check the JSON API makes, with messages that name the form's fields."""
    preset = _preset_name(f.preset, server)
    if not f.variants:
        raise _problem("Tick at least one variant to compare with BERT.", "variants")
    names = _chosen(f.variants, server)
    runs = _whole(f.runs, label="Runs", loc="runs", low=1, high=MAX_RUNS)
    if f.source == "length":
        n = _whole(f.seq_len, label="The sequence length", loc="seq_len", low=1, high=MAX_SEQ_LEN)
        lab_input = service.make_input(None, text=None, seq_len=n)
    elif f.source == "text":
        if not f.text.strip():
            raise _problem("The text is empty: type a sentence, or choose a length.", "text")
        if len(f.text) > MAX_TEXT_CHARS:
            raise _problem(
                f"The text is {len(f.text):,} characters; the lab takes at most {MAX_TEXT_CHARS:,}.",
                "text",
            )
        if server.tokenizer is None:
            raise _problem(
                "Text needs the WordPiece tokenizer, which is not installed on this server: "
                "choose a length instead.",
                "text",
            )
        lab_input = service.make_input(server.tokenizer, text=f.text, seq_len=None)
    else:
        raise _problem("Choose the input: your text or a length.", "source")
    predicted = _prediction(f.ranks, names)
    chosen_preset, chosen, _ = service.validate(
        store, preset=preset, names=names, runs=runs, seq_lens=[lab_input.seq_len]
    )
    return CompareRequest(lab_input, chosen_preset, chosen, runs, predicted)


@dataclass(frozen=True)
class SweepRequest:
    preset: Preset
    names: tuple[str, ...]
    lengths: tuple[int, ...]
    runs: int


def _check_sweep(f: SweepFields, store: ModelStore, server: Server) -> SweepRequest:
    preset = _preset_name(f.preset, server)
    if not f.variants:
        raise _problem("Tick at least one variant to sweep with BERT.", "variants")
    names = _chosen(f.variants, server)
    runs = _whole(f.runs, label="Runs", loc="runs", low=1, high=MAX_RUNS)
    lengths: set[int] = set()
    for raw in f.lengths:
        n = _whole(raw, label="A length", loc="lengths", low=1, high=MAX_SEQ_LEN)
        if n not in SWEEP_LENGTHS:
            raise _problem(
                f"The sweep runs at {', '.join(map(str, SWEEP_LENGTHS))} tokens; {n} is not one.",
                "lengths",
            )
        lengths.add(n)
    if len(lengths) < 2:
        raise _problem("Tick at least two lengths to draw a line.", "lengths")
    ordered = tuple(sorted(lengths))
    chosen_preset, chosen, _ = service.validate(
        store, preset=preset, names=names, runs=runs, seq_lens=ordered
    )
    return SweepRequest(chosen_preset, chosen, ordered, runs)


# --- estimates for the progress line ----------------------------------------------------------


def _configs(names: Iterable[str], preset: str, server: Server) -> list[EncoderConfig]:
    out = []
    for name in names:
        if name == MINILM:
            if server.minilm is not None:
                out.append(server.minilm.config)
        elif name in FIVE:
            out.append(config_for(name, preset))
    return out


def _work_table(server: Server) -> str:
    """GFLOP of one forward pass per preset, variant and sweep length, for lab.js's estimate."""
    table: dict[str, Any] = {
        "lengths": list(SWEEP_LENGTHS),
        "passes_extra": WARMUP + MODULE_PASSES,
        "rate": service.ASSUMED_GFLOP_PER_S,
        "gflop": {},
    }
    for preset in server.presets:
        table["gflop"][preset.name] = {
            name: [round(cost.flops_total(c, n) / 1e9, 6) for n in SWEEP_LENGTHS]
            for name, c in zip(
                server.variants, _configs(server.variants, preset.name, server), strict=True
            )
        }
    return json.dumps(table, separators=(",", ":"))


def _estimate(
    names: Iterable[str], preset: str, lengths: Sequence[int], runs: int, server: Server
) -> float:
    configs = _configs({"bert", *names}, preset, server)
    return service.estimate_seconds(service.work_gflop(configs, lengths, runs))


def _compare_length(f: CompareFields, server: Server) -> int:
    """The tokens the compare form asks for, as far as it can be read (for the estimate)."""
    if f.source == "text" and server.tokenizer is not None and 0 < len(f.text) <= MAX_TEXT_CHARS:
        return len(server.tokenizer.encode(f.text, max_length=MAX_SEQ_LEN).ids)
    return _safe_int(f.seq_len, DEFAULT_SEQ_LEN, MAX_SEQ_LEN)


def _safe_int(raw: str, default: int, high: int) -> int:
    value = ascii_int(raw, low=1, high=high)
    return default if value is None else value


# --- what the results look like on the page ---------------------------------------------------


def _lesson_label(url: str, content: ContentIndex) -> str:
    """'DistilBERT · Speed and accuracy' for '/lessons/distilbert#speed-and-accuracy'."""
    slug, _, anchor = url.removeprefix("/lessons/").partition("#")
    lesson = next((lesson for lesson in content.lessons if lesson.slug == slug), None)
    if lesson is None:
        return url
    heading = next((e.text for e in lesson.toc if e.anchor == anchor), "")
    title = lesson.title.split(":")[0].strip()
    return f"{title} · {heading}" if heading else title


def _row_view(row: Row, content: ContentIndex, focus: str) -> dict[str, Any]:
    p, lat = row.cost.parameters, row.measured.latency
    return {
        "name": row.name,
        "title": row.title,
        "pretrained": row.pretrained,
        "params": charts.count(p.total),
        "params_exact": f"{p.total:,}",
        "embedding_share": f"{p.embeddings / p.total:.0%}",
        "flops": charts.flops(row.cost.flops_total),
        "median": charts.millis(lat.median_ms),
        "spread": f"{charts.millis(lat.p10_ms).removesuffix(' ms')}{charts.DASH}{charts.millis(lat.p90_ms)}",
        "gflops_per_s": f"{row.gflops_per_s:.1f}",
        "ratio_params": charts.ratio(row.ratios["params"]),
        "ratio_flops": charts.ratio(row.ratios["flops"]),
        "ratio_latency": charts.ratio(row.ratios["latency"]),
        "explanation": row.explanation,
        "lesson_url": row.lesson_url,
        "lesson_label": _lesson_label(row.lesson_url, content),
        "focus": row.name == focus,
        "groups": charts.parameter_groups_of(row),
        "modules": row.measured.modules_ms,
    }


def _environment(env: Mapping[str, Any]) -> list[tuple[str, str]]:
    blas = env.get("blas") or []
    blas_text = "; ".join(
        f"{b.get('library')} {b.get('version')} ({b.get('architecture')}, "
        f"{b.get('threads')} thread{'s' if b.get('threads') != 1 else ''})"
        for b in blas
    )
    return [
        ("CPU", f"{env.get('cpu')} · {env.get('cpu_count')} logical cores"),
        ("numpy", str(env.get("numpy"))),
        ("BLAS", blas_text or "not reported"),
        ("Lab workers", f"{env.get('lab_workers')} (runs at a time)"),
        ("Python", str(env.get("python"))),
    ]


def _result_view(result: Compared, content: ContentIndex, focus: str) -> dict[str, Any]:
    rows = list(result.rows)
    params_svg, params_legend = charts.parameters_chart(rows)
    modules_svg, modules_legend = charts.modules_chart(rows)
    lab_input = result.lab_input
    guess = result.prediction
    titles = {r.name: r.title for r in rows}
    return {
        "preset": result.preset.value,
        "runs": result.runs,
        "noisy": result.noisy,
        "seq_len": lab_input.seq_len,
        "tokens": list(lab_input.tokens[:TOKENS_SHOWN]) if lab_input.tokens else None,
        "more_tokens": max(0, lab_input.seq_len - TOKENS_SHOWN) if lab_input.tokens else 0,
        "truncated": lab_input.truncated,
        "tokenizers": [(titles[r.name], ARCHITECTURES[r.name].tokenizer) for r in rows],
        "rows": [_row_view(r, content, focus) for r in rows],
        "groups": charts.groups_present(rows),
        "modules": charts.modules_of(rows),
        "module_labels": charts.MODULE_LABELS,
        "count": charts.count,
        "millis": charts.millis,
        "params_svg": params_svg,
        "params_legend": params_legend,
        "latency_svg": charts.latency_chart(rows),
        "modules_svg": modules_svg,
        "modules_legend": modules_legend,
        "prediction": {
            "message": guess.message,
            "exact_all": guess.pairs_right == guess.pairs,
            "predicted": [
                (titles[n], n == m) for n, m in zip(guess.predicted, guess.measured, strict=True)
            ],
            "measured": [titles[n] for n in guess.measured],
        }
        if guess
        else None,
        "pretrained": [r.title for r in rows if r.pretrained],
    }


def _sweep_view(results: Sequence[Compared]) -> dict[str, Any]:
    svg, key = charts.sweep_chart(results)
    lengths = [c.lab_input.seq_len for c in results]
    rows = results[0].rows
    table = [
        {
            "title": r.title,
            "values": [
                charts.millis(
                    next(x for x in c.rows if x.name == r.name).measured.latency.median_ms
                )
                for c in results
            ],
        }
        for r in rows
    ]
    return {
        "preset": results[0].preset.value,
        "runs": results[0].runs,
        "lengths": lengths,
        "svg": svg,
        "legend": key,
        "table": table,
    }


# --- the page ---------------------------------------------------------------------------------


@dataclass
class PageState:
    compare: CompareFields
    sweep: SweepFields
    error: str | None = None
    error_form: str | None = None  # "compare" or "sweep"
    error_field: str | None = None
    result: Compared | None = None
    sweep_results: list[Compared] | None = None
    environment: dict[str, Any] | None = None


def _render(
    request: Request,
    content: ContentIndex,
    server: Server,
    pool: LabPool,
    state: PageState,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    f, s = state.compare, state.sweep
    compare_lengths = [_compare_length(f, server)]
    preset = f.preset if server.preset_allowed(f.preset) else server.presets[0].name
    sweep_preset = s.preset if server.preset_allowed(s.preset) else server.presets[0].name
    sweep_lengths = [n for n in map(ascii_int, s.lengths) if n is not None and n in SWEEP_LENGTHS]
    focus = f.focus if f.focus in ARCHITECTURES else ""
    context = {
        "f": f,
        "s": s,
        "server": server,
        "weights_note": WEIGHTS_NOTE,
        "architectures": ARCHITECTURES,
        "five": FIVE,
        "minilm": MINILM,
        "focus": ARCHITECTURES[focus] if focus else None,
        "sweep_lengths": SWEEP_LENGTHS,
        "max_runs": MAX_RUNS,
        "max_seq_len": MAX_SEQ_LEN,
        "max_text": MAX_TEXT_CHARS,
        "work": _work_table(server),
        "rate": service.ASSUMED_GFLOP_PER_S,
        "preset_loaded": next(p.loaded for p in server.presets if p.name == preset),
        "estimate": _estimate(
            f.variants, preset, compare_lengths, _safe_int(f.runs, DEFAULT_RUNS, MAX_RUNS), server
        ),
        "sweep_estimate": _estimate(
            s.variants,
            sweep_preset,
            sweep_lengths or DEFAULT_SWEEP_LENGTHS,
            _safe_int(s.runs, DEFAULT_SWEEP_RUNS, MAX_RUNS),
            server,
        ),
        "error": state.error,
        "error_form": state.error_form,
        "error_field": state.error_field,
        "result": _result_view(state.result, content, focus) if state.result else None,
        "sweep": _sweep_view(state.sweep_results) if state.sweep_results else None,
        "environment": _environment(state.environment) if state.environment else None,
    }
    return render(request, "lab/lab.html", context, status_code=status_code, headers=headers)


def _failed(state: PageState, form: str, exc: InvalidInput | RateLimited) -> dict[str, Any]:
    state.error, state.error_form = exc.message, form
    loc = exc.errors[0].get("loc", [None])[0] if exc.errors else None
    state.error_field = str(loc) if loc else None
    if isinstance(exc, RateLimited):
        return {"status_code": 429, "headers": {"Retry-After": str(exc.retry_after)}}
    return {"status_code": 422}


def _list_param(values: Sequence[str]) -> tuple[str, ...]:
    """``?variants=bert&variants=albert`` or ``?variants=bert,albert``."""
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


@router.get("/lab", response_class=HTMLResponse)
async def lab_page(
    request: Request,
    identity: PageIdentity,
    content: ContentDep,
    store: StoreDep,
    pool: PoolDep,
    preset: str | None = None,
    focus: str | None = None,
) -> HTMLResponse:
    """The forms, preset and focus taken from the link (lessons link here with ``preset``).

    ``identity`` gives a first-time visitor the session that the forms' CSRF tokens belong to."""
    server = await run_in_threadpool(_server, store)
    chosen = _list_param(request.query_params.getlist("variants"))
    compare = CompareFields(
        source="text" if server.tokenizer is not None else "length",
        preset=preset or Preset.tiny.value,
        variants=chosen or server.variants,
        focus=focus or "",
    )
    sweep = SweepFields(preset=compare.preset, variants=compare.variants)
    state = PageState(compare, sweep)
    try:
        _preset_name(compare.preset, server)
        _chosen(compare.variants, server)
        if focus and focus not in ARCHITECTURES and focus not in {x.slug for x in content.lessons}:
            raise _problem(
                f"There is no variant '{focus}' to look at; choose from {', '.join(ARCHITECTURES)}.",
                "focus",
            )
    except InvalidInput as exc:
        return _render(request, content, server, pool, state, **_failed(state, "compare", exc))
    return _render(request, content, server, pool, state)


async def _run_and_render(
    request: Request,
    content: ContentIndex,
    store: ModelStore,
    pool: LabPool,
    server: Server,
    state: PageState,
    form: str,
    work: Callable[[], Awaitable[None]],
) -> HTMLResponse:
    """Both forms' tail: run ``work`` (check the form, then measure into ``state``), and render the
    page with the result, or with the form's error (422, or 429 when the pool is full)."""
    try:
        await work()
    except (InvalidInput, RateLimited) as exc:
        return _render(request, content, server, pool, state, **_failed(state, form, exc))
    state.environment = service.environment(workers=pool.workers)
    server = await run_in_threadpool(_server, store)  # the preset is built now
    return _render(request, content, server, pool, state)


@router.post("/lab", response_class=HTMLResponse)
async def lab_compare(
    request: Request,
    identity: FormIdentity,
    content: ContentDep,
    store: StoreDep,
    pool: PoolDep,
) -> HTMLResponse:
    form = await request.form()
    server = await run_in_threadpool(_server, store)
    fields = CompareFields.from_form(form)
    state = PageState(fields, SweepFields(preset=fields.preset, variants=fields.variants))

    async def work() -> None:
        checked = await run_in_threadpool(_check_compare, fields, store, server)
        state.result = await pool.run(
            lambda: service.compare(
                store,
                preset=checked.preset,
                names=checked.names,
                lab_input=checked.lab_input,
                runs=checked.runs,
                predicted=checked.predicted,
            )
        )

    return await _run_and_render(request, content, store, pool, server, state, "compare", work)


@router.post("/lab/sweep", response_class=HTMLResponse)
async def lab_sweep(
    request: Request,
    identity: FormIdentity,
    content: ContentDep,
    store: StoreDep,
    pool: PoolDep,
) -> HTMLResponse:
    form = await request.form()
    server = await run_in_threadpool(_server, store)
    fields = SweepFields.from_form(form)
    compare = CompareFields(
        source="text" if server.tokenizer is not None else "length",
        preset=fields.preset,
        variants=fields.variants,
    )
    state = PageState(compare, fields)

    async def work() -> None:
        checked = await run_in_threadpool(_check_sweep, fields, store, server)
        state.sweep_results = await pool.run(
            lambda: service.sweep(
                store,
                preset=checked.preset,
                names=checked.names,
                seq_lens=checked.lengths,
                runs=checked.runs,
            )
        )

    return await _run_and_render(request, content, store, pool, server, state, "sweep", work)

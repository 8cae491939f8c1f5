"""``/lab``: run the five encoders (and MiniLM) on this server, side by side, from a plain form.

``GET /lab`` shows the forms; ``POST /lab`` compares the variants on one input and ``POST
/lab/sweep`` times them at several sequence lengths. Both read the form into the JSON API's
request models, go through the lab's bounded pool, and render the page again: with the results,
or with the learner's inputs kept and a message that says what to change (422, or 429 when the
lab is busy). Everything works without JavaScript; ``static/js/lab.js`` adds a progress line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from app.accounts.identity import FormIdentity, PageIdentity
from app.content import ContentIndex
from app.encoders.configs import Preset
from app.errors import InvalidInput, RateLimited
from app.lab import demos_api, forms, service
from app.lab.demos import Demos
from app.lab.forms import CompareFields, FormProblem, SweepFields
from app.lab.pool import LabPool
from app.lab.requests import Refused
from app.lab.store import ModelStore
from app.lab.view import DemoState, PageState, Server, context, sentence_lines, server_of
from app.web import ContentDep, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


async def _store(request: Request) -> ModelStore:
    store: ModelStore = request.app.state.lab_store
    return store


async def _pool(request: Request) -> LabPool:
    pool: LabPool = request.app.state.lab_pool
    return pool


StoreDep = Annotated[ModelStore, Depends(_store)]
PoolDep = Annotated[LabPool, Depends(_pool)]


def _render(
    request: Request,
    content: ContentIndex,
    server: Server,
    state: PageState,
    failed: InvalidInput | RateLimited | None = None,
    form: str = "compare",
) -> HTMLResponse:
    """The page; after ``failed``, with its message at ``form`` (422, or 429 with Retry-After)."""
    status_code, headers = 200, None
    if failed is not None:
        state.error, state.error_form = failed.message, form
        state.error_field = failed.field if isinstance(failed, FormProblem) else None
        status_code = failed.status
        if isinstance(failed, RateLimited):
            headers = {"Retry-After": str(failed.retry_after)}
    page = context(state, server, content)
    return render(request, "lab/lab.html", page, status_code=status_code, headers=headers)


def _list_param(values: Sequence[str]) -> tuple[str, ...]:
    """``?variants=bert&variants=albert`` or ``?variants=bert,albert``."""
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


@router.get("/lab", response_class=HTMLResponse)
async def lab_page(
    request: Request,
    identity: PageIdentity,
    content: ContentDep,
    store: StoreDep,
    preset: str | None = None,
    focus: str | None = None,
) -> HTMLResponse:
    """The forms, preset and focus taken from the link (lessons link here with ``preset``).

    ``identity`` gives a first-time visitor the session that the forms' CSRF tokens belong to."""
    server = await run_in_threadpool(server_of, store)
    chosen = _list_param(request.query_params.getlist("variants"))
    compare = CompareFields(
        source="text" if server.tokenizer is not None else "length",
        preset=preset or Preset.tiny.value,
        variants=chosen or server.variants,
        focus=focus or "",
    )
    state = PageState(compare, SweepFields(preset=compare.preset, variants=compare.variants))
    try:
        lessons = {lesson.slug for lesson in content.lessons}
        await run_in_threadpool(forms.check_link, compare, store, lessons)
    except FormProblem as exc:
        return _render(request, content, server, state, exc)
    return _render(request, content, server, state)


async def _run_and_render(
    request: Request,
    content: ContentIndex,
    store: ModelStore,
    pool: LabPool,
    state: PageState,
    form: str,
    work: Callable[[], Awaitable[None]],
) -> HTMLResponse:
    """Both forms' tail: run ``work`` (read the form, check it, measure into ``state``) and render
    the page with the result, or with the form's problem (422, or 429 when the pool is full)."""
    try:
        await work()
    except Refused as exc:
        problem: InvalidInput | RateLimited = forms.reworded(exc)
    except (InvalidInput, RateLimited) as exc:
        problem = exc
    else:
        state.environment = service.environment(workers=pool.workers)
        server = await run_in_threadpool(server_of, store)  # the preset is built now
        return _render(request, content, server, state)
    server = await run_in_threadpool(server_of, store)
    return _render(request, content, server, state, problem, form)


@router.post("/lab", response_class=HTMLResponse)
async def lab_compare(
    request: Request,
    identity: FormIdentity,
    content: ContentDep,
    store: StoreDep,
    pool: PoolDep,
) -> HTMLResponse:
    fields = CompareFields.from_form(await request.form())
    state = PageState(fields, SweepFields(preset=fields.preset, variants=fields.variants))

    def check() -> service.Checked:
        body = forms.compare_body(fields, store)
        return service.check_compare(store, body)

    async def work() -> None:
        checked = await run_in_threadpool(check)
        state.result = await pool.run(lambda: service.compare(store, checked))

    return await _run_and_render(request, content, store, pool, state, "compare", work)


@router.post("/lab/sweep", response_class=HTMLResponse)
async def lab_sweep(
    request: Request,
    identity: FormIdentity,
    content: ContentDep,
    store: StoreDep,
    pool: PoolDep,
) -> HTMLResponse:
    fields = SweepFields.from_form(await request.form())
    has_tokenizer = (await run_in_threadpool(server_of, store)).tokenizer is not None
    compare = CompareFields(
        source="text" if has_tokenizer else "length",
        preset=fields.preset,
        variants=fields.variants,
    )
    state = PageState(compare, fields)

    def check() -> service.Checked:
        body = forms.sweep_body(fields, store)
        return service.check_sweep(store, body)

    async def work() -> None:
        checked = await run_in_threadpool(check)
        state.sweep_results = await pool.run(lambda: service.sweep(store, checked))

    return await _run_and_render(request, content, store, pool, state, "sweep", work)


# --- the three demos: tokenize, similarity, int8 ----------------------------------------------


async def _demos(request: Request) -> Demos:
    demos: Demos = request.app.state.lab_demos
    return demos


DemosDep = Annotated[Demos, Depends(_demos)]


M = TypeVar("M", bound=BaseModel)


def _checked(model: type[M], data: dict[str, object]) -> M:
    """The form read into the API's request model; its first problem as a 422 message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(f"{where}: {message}") from None


async def _demo(
    request: Request,
    content: ContentIndex,
    store: ModelStore,
    form: str,
    work: Callable[[DemoState], Awaitable[None]],
) -> HTMLResponse:
    """One demo form: keep what was typed (the form field ``form`` is the DemoState field of the
    same name), run it, render the page at its section."""
    demo = DemoState()
    setattr(demo, form, str((await request.form()).get(form, "")))
    server = await run_in_threadpool(server_of, store)
    compare = CompareFields(
        source="text" if server.tokenizer is not None else "length", variants=server.variants
    )
    state = PageState(compare, SweepFields(variants=server.variants), demo=demo)
    try:
        await work(demo)
    except (InvalidInput, RateLimited) as exc:
        return _render(request, content, server, state, exc, form)
    return _render(request, content, server, state)


@router.post("/lab/tokenize", response_class=HTMLResponse)
async def lab_tokenize(
    request: Request,
    identity: FormIdentity,
    content: ContentDep,
    store: StoreDep,
    pool: PoolDep,
    demos: DemosDep,
) -> HTMLResponse:
    async def work(demo: DemoState) -> None:
        body = _checked(demos_api.TokenizeIn, {"text": demo.text})
        demo.tokenized = await pool.run(lambda: demos.tokenize(body.text))

    return await _demo(request, content, store, "text", work)


@router.post("/lab/similarity", response_class=HTMLResponse)
async def lab_similarity(
    request: Request,
    identity: FormIdentity,
    content: ContentDep,
    store: StoreDep,
    pool: PoolDep,
    demos: DemosDep,
) -> HTMLResponse:
    async def work(demo: DemoState) -> None:
        body = _checked(demos_api.SimilarityIn, {"sentences": sentence_lines(demo.sentences)})
        await run_in_threadpool(demos_api.needs_minilm, demos)
        demo.matrix = await pool.run(lambda: demos.similarity(body.sentences))
        demo.matrix_sentences = body.sentences

    return await _demo(request, content, store, "sentences", work)


@router.post("/lab/quantize", response_class=HTMLResponse)
async def lab_quantize(
    request: Request,
    identity: FormIdentity,
    content: ContentDep,
    store: StoreDep,
    pool: PoolDep,
    demos: DemosDep,
) -> HTMLResponse:
    async def work(demo: DemoState) -> None:
        body = _checked(demos_api.QuantizeIn, {"sentences": sentence_lines(demo.quantize)})
        await run_in_threadpool(demos_api.needs_minilm, demos)
        demo.quantized = await pool.run(lambda: demos.quantize(body.sentences, runs=body.runs))

    return await _demo(request, content, store, "quantize", work)

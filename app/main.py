"""``create_app(settings)``: the one place where the application is put together."""

from __future__ import annotations

import gc
import json
import logging
import os
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fsrs import Scheduler
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.accounts import api as accounts_api
from app.accounts import pages as account_pages
from app.accounts.identity import session_cookie_header
from app.accounts.security import Signer
from app.accounts.token_cache import TokenCache
from app.api import install_problem_openapi
from app.capacity import Capacity
from app.clock import now
from app.config import Settings, resolve_secret_key
from app.content import ContentIndex, load_content
from app.content.markdown import pygments_css
from app.db import install_database_error_handler, make_engine, refusing_work_on_this_thread
from app.encoders.configs import Preset
from app.errors import PayloadTooLarge
from app.handlers import install_error_handlers
from app.health.routes import router as health_router
from app.lab import api as lab_api
from app.lab import pages as lab_pages
from app.lab.pool import LabPool
from app.lab.store import ModelStore
from app.lessons import routes as lessons
from app.migrate import SchemaGate
from app.progress import api as progress_api
from app.progress import pages as progress_pages
from app.quiz import api as quiz_api
from app.quiz import pages as quiz_pages
from app.quiz.learner_data import QuizData
from app.quiz.scheduling import make_scheduler
from app.quiz.writer import AttemptWriter
from app.search import routes as search
from app.search.index import SearchIndex
from app.web import STATIC_DIR, PageCache, asset_url_factory, make_templates

__all__ = ["create_app", "create_app_from_env"]

log = logging.getLogger(__name__)

GENERATED_CSS = "css/code.css"

# The Swagger UI page carries an inline bootstrap script; every other page runs only our files.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_DOCS_CSP = _CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class ResponseHeaders:
    """Pure ASGI middleware (cheap on the hot path): browser security headers on every response,
    and the session cookie when the request started a session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = (_DOCS_CSP if scope["path"] == "/docs" else _CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", []),
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                cookie = session_cookie_header(scope)
                if cookie is not None:
                    headers.append(cookie)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_BODY_BYTES = 64 * 1024  # the largest legitimate body is an open answer of 5,000 characters


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with a 413 problem document.

    Declared sizes are refused before reading; undeclared (chunked) bodies are counted as they
    arrive and raise PayloadTooLarge, which the error handlers render.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            body = json.dumps(
                {
                    "type": "about:blank",
                    "title": "Content Too Large",
                    "status": 413,
                    "detail": f"The request body is {int(declared):,} bytes; the limit is {self.limit:,}.",
                    "instance": scope["path"],
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise PayloadTooLarge(
                    f"The request body is over the limit of {self.limit:,} bytes."
                )
            return message

        await self.app(scope, counted, send)


def create_app(
    settings: Settings,
    *,
    content: ContentIndex | None = None,
    clock: Callable[[], datetime] | None = None,
    rng: random.Random | None = None,
    scheduler: Scheduler | None = None,
) -> FastAPI:
    """Build the app. Raises ContentInvalid on bad content and MissingSecretKey in production.

    ``clock``, ``rng`` and ``scheduler`` default to the real ones; tests pass fixed ones.
    """
    secret_key = resolve_secret_key(settings)
    index = content if content is not None else load_content(settings.content_dir)
    database_url = settings.resolved_database_url
    # Requests admitted to the database each hold one connection; two more serve the answer
    # writer's thread and the health checks.
    engine = make_engine(database_url, echo=settings.debug, pool_size=settings.db_concurrency + 2)
    lab_store = ModelStore(
        models_dir=settings.resolved_models_dir,
        max_preset=Preset(settings.lab_max_preset),
        preload=[Preset.tiny],
        max_work_gflop=settings.lab_max_work,
    )
    schema = SchemaGate(engine)
    scheduler = scheduler or make_scheduler()
    writer = AttemptWriter(
        engine, scheduler=scheduler, bank=index.questions, max_waiting=settings.max_queued
    )
    lab_pool = LabPool(
        workers=settings.lab_workers,
        queue=settings.lab_queue,
        blas_threads=settings.lab_threads or os.cpu_count() or 1,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("bertprep %s: %d lessons, database %s", __version__, len(index), engine.url)
        # Everything built so far (content index, templates, routes) lives as long as the app:
        # moving it out of the collector's reach makes every later collection cheaper.
        gc.collect()
        gc.freeze()
        status = await run_in_threadpool(schema.check)
        if not status.current:
            log.error("bertprep: not serving database pages: %s", status.message)
        if settings.lab_preload:
            lab_store.start_preloading()
        with refusing_work_on_this_thread(engine):  # no I/O: arms the guard
            yield
        lab_pool.close()
        await run_in_threadpool(writer.close)
        await run_in_threadpool(engine.dispose)

    app = FastAPI(
        title="bertprep",
        version=__version__,
        summary="Interview preparation for BERT, RoBERTa, DistilBERT, ALBERT and DeBERTa.",
        description="Every error under `/api/` is an RFC 9457 `application/problem+json` document.",
        debug=settings.debug,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    generated = {GENERATED_CSS: pygments_css().encode()}
    static = asset_url_factory(STATIC_DIR, generated)
    app.state.settings = settings
    app.state.secret_key = secret_key
    app.state.engine = engine
    app.state.schema = schema
    app.state.capacity = Capacity(
        active=settings.db_concurrency,
        queued=settings.max_queued,
        wait_seconds=settings.queue_timeout,
    )
    app.state.content = index
    app.state.search = SearchIndex(
        index.sections, {lesson.slug: lesson.title for lesson in index.lessons}
    )
    app.state.templates = make_templates(static, debug=settings.debug)
    app.state.page_cache = PageCache(enabled=not settings.debug)
    app.state.signer = Signer(secret_key)
    # With several processes, a token revoked in one must stop working in all at once.
    app.state.token_cache = TokenCache(ttl=10.0 if settings.workers == 1 else 0.0)
    app.state.clock = clock or now
    app.state.rng = rng or random.Random()
    app.state.scheduler = scheduler
    app.state.lab_store = lab_store
    app.state.lab_pool = lab_pool
    app.state.attempt_writer = writer
    app.state.learner_data = (QuizData(),)  # accounts exports, merges, deletes these too

    install_error_handlers(app)
    install_database_error_handler(app)
    install_problem_openapi(app)
    app.add_middleware(ResponseHeaders)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    code_css = generated[GENERATED_CSS]

    # Registered before the /static mount so that it wins for this one path.
    @app.get(f"/static/{GENERATED_CSS}", include_in_schema=False)
    def code_stylesheet() -> Response:
        return Response(
            code_css,
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="bertprep API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url=static("favicon.svg"),
        )

    # Routes match in order, and a route added to the app itself skips the included-router
    # layer: the lesson page and the answer call, the busiest routes, go first (bench/pages.py
    # and bench/attempts.py measure them).
    app.add_api_route(
        "/lessons/{slug}", lessons.lesson_page, response_class=HTMLResponse, include_in_schema=False
    )
    app.add_api_route(endpoint=quiz_api.create_attempt, **quiz_api.ATTEMPTS_ROUTE)
    app.include_router(lessons.pages)
    app.include_router(health_router)
    app.include_router(lessons.api)
    app.include_router(search.pages)
    app.include_router(search.api)
    app.include_router(quiz_pages.router)
    app.include_router(account_pages.router)
    app.include_router(progress_pages.router)
    app.include_router(quiz_api.router)
    app.include_router(accounts_api.router)
    app.include_router(progress_api.router)
    app.include_router(lab_pages.router)
    app.include_router(lab_api.router)
    app.mount(
        "/static/swagger-ui",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger-ui",
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn app.main:create_app_from_env --factory``: settings from the environment."""
    return create_app(Settings())

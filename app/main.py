"""``create_app(settings)``: the one place where the application is put together."""

from __future__ import annotations

import gc
import logging
import os
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fsrs import Scheduler
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from app import __version__
from app.accounts import api as accounts_api
from app.accounts import pages as account_pages
from app.accounts.identity import csrf_token_for, session_cookie_header
from app.accounts.security import Signer
from app.accounts.token_cache import TokenCache
from app.api import install_problem_openapi
from app.apiguide import pages as api_guide
from app.capacity import Capacity
from app.clock import now
from app.config import Settings, resolve_secret_key
from app.content import ContentIndex, load_content
from app.content.markdown import pygments_css
from app.db import install_database_error_handler, make_engine, refusing_work_on_this_thread
from app.encoders.configs import Preset
from app.handlers import install_error_handlers
from app.health import api as health_api
from app.interview import api as interview_api
from app.interview import pages as interview_pages
from app.interview.learner_data import InterviewData
from app.lab import api as lab_api
from app.lab import demos_api as lab_demos_api
from app.lab import pages as lab_pages
from app.lab.demos import Demos, corpus_of
from app.lab.pool import LabPool
from app.lab.store import ModelStore
from app.lessons import api as lessons_api
from app.lessons import glossary
from app.lessons import pages as lesson_pages
from app.middleware import MAX_BODY_BYTES, BodyLimit, ResponseHeaders
from app.migrate import SchemaGate
from app.progress import api as progress_api
from app.progress import pages as progress_pages
from app.quiz import api as quiz_api
from app.quiz import open_answers, practice_pages, review_pages
from app.quiz import pages as quiz_pages
from app.quiz.calculated import FORMULAS
from app.quiz.learner_data import QuizData
from app.quiz.scheduling import make_scheduler
from app.quiz.visits import LessonVisits
from app.quiz.writer import AttemptWriter
from app.search import api as search_api
from app.search import pages as search_pages
from app.search.index import SearchIndex
from app.web import STATIC_DIR, PageCache, asset_url_factory, make_templates

__all__ = ["create_app", "create_app_from_env"]

log = logging.getLogger(__name__)

GENERATED_CSS = "css/code.css"
API_DESCRIPTION = (
    "New here? [Getting started](/api): an account, a token and an answer in three curl "
    "commands. **Authorize** takes a token from `POST /api/v1/tokens`. Every error under "
    "`/api/` is an RFC 9457 `application/problem+json` document."
)

# Every feature's routers, in matching order (pages first: they are what people click).
ROUTERS = (
    lesson_pages.router,
    glossary.router,
    health_api.router,
    lessons_api.router,
    glossary.api_router,
    search_pages.router,
    search_api.router,
    quiz_pages.router,
    practice_pages.router,
    review_pages.router,
    account_pages.router,
    api_guide.router,
    progress_pages.router,
    interview_pages.router,
    quiz_api.router,
    accounts_api.router,
    progress_api.router,
    interview_api.router,
    lab_pages.router,
    lab_api.router,
    lab_demos_api.router,
)


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
    index = (
        content if content is not None else load_content(settings.content_dir, formulas=FORMULAS)
    )
    # Requests admitted to the database each hold one connection; two more serve the answer
    # writer's thread and the health checks.
    engine = make_engine(
        settings.resolved_database_url,
        echo=settings.debug,
        pool_size=settings.db_concurrency + 2,
    )
    scheduler = scheduler or make_scheduler()
    services = _Services.build(settings, index, engine, scheduler=scheduler, secret_key=secret_key)
    app = FastAPI(
        title="bertprep",
        version=__version__,
        summary="Interview preparation for BERT, RoBERTa, DistilBERT, ALBERT and DeBERTa.",
        description=API_DESCRIPTION,
        debug=settings.debug,
        docs_url=None,
        redoc_url=None,
        lifespan=services.lifespan(settings, engine),
    )
    state = app.state
    state.settings = settings
    state.secret_key = secret_key
    state.engine = engine
    state.content = index
    state.clock = clock or now
    state.rng = rng or random.Random()
    state.scheduler = scheduler
    for name, service in vars(services).items():
        setattr(state, name, service)
    generated = {GENERATED_CSS: pygments_css().encode()}
    static = asset_url_factory(STATIC_DIR, generated)
    state.templates = make_templates(static, csrf_token=csrf_token_for, debug=settings.debug)
    state.page_cache = PageCache(enabled=not settings.debug)
    state.lesson_visits = LessonVisits(engine, signer=services.signer, clock=state.clock)
    state.learner_data = (QuizData(), InterviewData())  # accounts exports, merges, deletes these
    install_error_handlers(app)
    install_database_error_handler(app)
    install_problem_openapi(app)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)  # inside: its 413s get the headers
    app.add_middleware(ResponseHeaders, extra=session_cookie_header)
    _add_routes(app, code_css=generated[GENERATED_CSS], favicon=static("favicon.svg"))
    return app


@dataclass(frozen=True)
class _Services:
    """What requests use besides the engine and the content; the app owns them and stops them."""

    schema: SchemaGate
    capacity: Capacity
    search: SearchIndex
    signer: Signer
    token_cache: TokenCache
    attempt_writer: AttemptWriter
    lab_store: ModelStore
    lab_pool: LabPool
    lab_demos: Demos

    @classmethod
    def build(
        cls,
        settings: Settings,
        index: ContentIndex,
        engine: Engine,
        *,
        scheduler: Scheduler,
        secret_key: str,
    ) -> _Services:
        lab_store = ModelStore(
            models_dir=settings.resolved_models_dir,
            max_preset=Preset(settings.lab_max_preset),
            preload=[Preset.tiny],
            max_work_gflop=settings.lab_max_work,
        )
        lab_pool = LabPool(
            workers=settings.lab_workers,
            queue=settings.lab_queue,
            blas_threads=settings.lab_threads or os.cpu_count() or 1,
        )
        return cls(
            schema=SchemaGate(engine),
            capacity=Capacity(
                active=settings.db_concurrency,
                queued=settings.max_queued,
                wait_seconds=settings.queue_timeout,
            ),
            search=SearchIndex(
                index.sections,
                {lesson.slug: lesson.title for lesson in index.lessons},
                glossary=index.glossary.terms,
                questions=index.questions.questions,
            ),
            signer=Signer(secret_key),
            # With several processes, a token revoked in one must stop working in all at once.
            token_cache=TokenCache(ttl=10.0 if settings.workers == 1 else 0.0),
            attempt_writer=AttemptWriter(
                engine,
                scheduler=scheduler,
                bank=index.questions,
                max_waiting=settings.max_queued,
                open_grader=open_answers.on_pool(lab_store, lab_pool),
            ),
            lab_store=lab_store,
            lab_pool=lab_pool,
            lab_demos=Demos(
                store=lab_store,
                corpus=corpus_of(index.sections),
                cache_dir=settings.data_dir / "tokenizers",
            ),
        )

    def lifespan(
        self, settings: Settings, engine: Engine
    ) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
        @asynccontextmanager
        async def running(app: FastAPI) -> AsyncIterator[None]:
            log.info(
                "bertprep %s: %d lessons, database %s",
                __version__,
                len(app.state.content),
                engine.url,
            )
            # Everything built so far (content index, templates, routes) lives as long as the
            # app: moving it out of the collector's reach makes every later collection cheaper.
            gc.collect()
            gc.freeze()
            status = await run_in_threadpool(self.schema.check)
            if not status.current:
                log.error("bertprep: not serving database pages: %s", status.message)
            if settings.lab_preload:
                self.lab_store.start_preloading()
            with refusing_work_on_this_thread(engine):  # no I/O: arms the guard
                yield
            self.lab_pool.close()
            await run_in_threadpool(self.attempt_writer.close)
            await run_in_threadpool(engine.dispose)

        return running


def _add_routes(app: FastAPI, *, code_css: bytes, favicon: str) -> None:
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
            swagger_favicon_url=favicon,
        )

    # Routes match in order, and a route added to the app itself skips the included-router
    # layer: the lesson page and the answer call, the busiest routes, go first (bench/pages.py
    # and bench/attempts.py measure them).
    app.add_api_route(
        "/lessons/{slug}",
        lesson_pages.lesson_page,
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    app.add_api_route(endpoint=quiz_api.create_attempt, **quiz_api.ATTEMPTS_ROUTE)
    for router in ROUTERS:
        app.include_router(router)
    app.mount(
        "/static/swagger-ui",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger-ui",
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn app.main:create_app_from_env --factory``: settings from the environment."""
    return create_app(Settings())

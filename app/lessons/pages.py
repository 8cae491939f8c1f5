"""Lesson pages: ``/`` (the home page), ``/lessons`` and ``/lessons/{slug}``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.accounts.identity import PageIdentity, start_guest
from app.accounts.security import SESSION_COOKIE
from app.content import ContentIndex
from app.db import SessionDep
from app.deps import NowDep, SchedulerDep
from app.progress.service import load_progress
from app.progress.stats import shown_percent
from app.quiz.service import due_for
from app.quiz.visits import LessonVisits
from app.web import ContentDep, PageCache, render

__all__ = ["lesson_page", "router"]

# Handlers are async: they only read the immutable content index and render a template in
# microseconds, so running them on the event loop saves a thread-pool hop per request.

router = APIRouter(include_in_schema=False)


# Registered by create_app directly on the app (first route, outside any router) for speed.
async def lesson_page(request: Request) -> HTMLResponse:
    """``GET /lessons/{slug}``: the page is rendered once per slug, then served from memory.

    The hottest route reads ``app.state`` and ``path_params`` directly rather than through
    dependencies and a typed parameter: each of those costs microseconds per request, a
    measurable share of serving a cached page (bench/pages.py). A known learner's first
    visit is recorded after the page is sent (``app/quiz/visits.py``): their review queue
    draws new cards from the lessons they have opened.
    """
    slug: str = request.path_params["slug"]
    content: ContentIndex = request.app.state.content
    lesson = content.lesson(slug)  # unknown slugs raise NotFound before anything is cached
    cache: PageCache = request.app.state.page_cache
    body = cache.get(slug)
    if body is None:
        previous, following = content.neighbours(slug)
        template = request.app.state.templates.get_template("lessons/lesson.html")
        questions = len(content.questions.for_lesson(slug))
        html = template.render(
            request=request, lesson=lesson, previous=previous, next=following, questions=questions
        )
        body = cache.put(slug, html)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None and request.headers.get("sec-fetch-mode") == "navigate":
        # A browser's first page here (a link from elsewhere): it gets its guest cookie now,
        # so this lesson counts as opened. Scripts, crawlers and benchmarks send no
        # Sec-Fetch-Mode and get neither a cookie nor a learner row.
        cookie = start_guest(request)
    visits: LessonVisits = request.app.state.lesson_visits
    return HTMLResponse(body, background=visits.after_page(cookie, slug))


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    content: ContentDep,
    identity: PageIdentity,
    session: SessionDep,
    scheduler: SchedulerDep,
    now: NowDep,
) -> HTMLResponse:
    """The catalogue for a newcomer; for a returning learner, today's work first."""
    today = None
    if identity.learner is not None:
        progress = load_progress(
            session, identity=identity, content=content, scheduler=scheduler, now=now
        )
        due = due_for(session, identity=identity, bank=content.questions, now=now)
        unfinished = [m for m in progress.mastery if m.mastered < m.questions]
        today = {
            "progress": progress,
            "due": due,
            "next_lesson": content.lesson(unfinished[0].slug) if unfinished else None,
            "percent": shown_percent,
        }
    return render(
        request, "home.html", {"lessons": content.lessons, "today": today, "identity": identity}
    )


@router.get("/lessons", response_class=HTMLResponse)
async def catalog(request: Request, content: ContentDep) -> HTMLResponse:
    return render(request, "lessons/catalog.html", {"lessons": content.lessons})

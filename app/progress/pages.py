"""``/progress``: the learner's figures as SVG charts drawn on the server, with the numbers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.accounts.identity import PageIdentity
from app.db import SessionDep
from app.deps import NowDep, SchedulerDep
from app.interview import service as interviews
from app.progress import charts
from app.progress.service import load_progress
from app.progress.stats import shown_percent
from app.quiz import repository, service
from app.quiz.calculated import fill
from app.web import ContentDep, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/progress", response_class=HTMLResponse)
def progress_page(
    request: Request,
    identity: PageIdentity,
    session: SessionDep,
    content: ContentDep,
    scheduler: SchedulerDep,
    now: NowDep,
) -> HTMLResponse:
    p = load_progress(session, identity=identity, content=content, scheduler=scheduler, now=now)
    learner = identity.learner
    recent = []
    if learner is not None and learner.id is not None:
        for attempt in reversed(repository.attempts_of(session, learner_id=learner.id)[-12:]):
            question = content.questions.get(attempt.question_id)
            prompt = question.prompt_html if question else ""
            if question and attempt.drawn:  # a calculated question: the values this learner got
                prompt = fill(prompt, attempt.drawn.get("values", {}))
            recent.append({"attempt": attempt, "question": question, "prompt": prompt})
    return render(
        request,
        "progress/progress.html",
        {
            "p": p,
            "percent": shown_percent,
            "identity": identity,
            "due": service.due_for(session, identity=identity, bank=content.questions, now=now),
            "recent": recent,
            "interviews": interviews.interviews(session, identity=identity)[:10],
            "lesson_titles": {slug: title for slug, title, _ in interviews.lesson_choices(content)},
            "mastery_svg": charts.mastery_chart(p.mastery),
            "accuracy_svg": charts.accuracy_chart(p.accuracy),
            "activity_svg": charts.activity_calendar(p.activity, now.date()),
            "forecast_svg": charts.forecast_chart(p.forecast),
        },
    )

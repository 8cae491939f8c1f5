"""Every table module, imported so that ``SQLModel.metadata`` knows the whole schema.

Alembic's ``env.py`` and the migration tests import this module. A feature that adds tables
(``app/<feature>/tables.py``) adds its import here.
"""

from sqlmodel import SQLModel

from app.accounts.tables import ApiToken, Learner, SignInFailure
from app.interview.tables import Interview, InterviewAnswer
from app.quiz.practice_tables import PracticeItem, PracticeSession
from app.quiz.tables import Attempt, LessonVisit, ReviewCard, ReviewLog

metadata = SQLModel.metadata

__all__ = [
    "ApiToken",
    "Attempt",
    "Interview",
    "InterviewAnswer",
    "Learner",
    "LessonVisit",
    "PracticeItem",
    "PracticeSession",
    "ReviewCard",
    "ReviewLog",
    "SignInFailure",
    "metadata",
]

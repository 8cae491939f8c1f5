"""Shared by the reliability suites (bench/load.py, bench/crash.py): a real bertprep server
process, simulated learners speaking real HTTP to it, a record of every request and of every
answer the server acknowledged, and a check of those answers against the database.

- ``Server`` runs ``python -m app serve`` on a free port with a fresh data directory (or an
  explicit database URL), waits for ``/readyz``, and can be killed (SIGKILL, every worker) and
  started again on the same port and data.
- ``GuestLearner`` (HTML pages with the cookie and CSRF flow), ``SignupLearner`` (signs up
  through the HTML form, then learns like a guest) and ``TokenLearner`` (signs up through the
  API, creates a token, answers through the API, sometimes resends an attempt id) each own
  one ``httpx.AsyncClient``, so each has its own cookies.
- ``Recorder`` keeps every request (kind, status or exception name, latency) and every
  acknowledged answer (API 201/200, HTML feedback page 200) by attempt id.
- ``check_acknowledged`` opens the database with SQLAlchemy and counts, per acknowledged
  attempt id, its ``attempt`` rows and its ``review_log`` rows: each must be exactly one.

Not a script: run ``bench/load.py`` or ``bench/crash.py``.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import random
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

from bench._harness import ROOT, free_port

__all__ = [
    "CLIENT_TIMEOUT",
    "DbCheck",
    "GuestLearner",
    "HealthProbe",
    "Latency",
    "Learner",
    "Recorder",
    "Sample",
    "Server",
    "SignupLearner",
    "Site",
    "TokenLearner",
    "api_attempt",
    "check_acknowledged",
    "create_api_user",
    "discover",
    "latency_table",
    "make_learners",
    "new_client",
    "percentile",
    "redact",
    "running_server",
    "sqlite_integrity",
]

CLIENT_TIMEOUT = 30.0  # seconds; a request that takes longer counts as a timeout
VERDICT = 'id="verdict"'  # on the feedback page, and only there: the answer was kept
OPEN_ANSWERS = (
    "ALBERT shares one set of layer weights across all layers and factorizes the embedding "
    "matrix, so it has far fewer parameters but the same compute per token.",
    "RoBERTa drops next sentence prediction, uses dynamic masking, larger batches and more "
    "data, and trains longer.",
    "DistilBERT is trained with a triple loss: distillation, masked language modelling and a "
    "cosine loss on the hidden states.",
    "DeBERTa keeps content and position in separate vectors and adds disentangled attention.",
    "I am not sure.",
)


# --- clients ------------------------------------------------------------------------------


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def new_client(base_url: str, **kwargs: Any) -> httpx.AsyncClient:
    """An AsyncClient for ``base_url`` with the client timeout. It shares one TLS context with
    the others: building one per client costs ~50 ms of CPU, seconds for a crowd of learners."""
    return httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT, verify=_tls(), **kwargs)


# --- the server ---------------------------------------------------------------------------


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'bertprep.db').as_posix()}"


def redact(url: str) -> str:
    """A database URL fit to print: no password."""
    return make_url(url).render_as_string(hide_password=True)


class Server:
    """One ``python -m app serve`` process in its own session, so that a kill reaches every
    worker. Its output goes to ``<data dir>/server.log`` (appended to across restarts)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        port: int | None = None,
        workers: int = 1,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url or sqlite_url(data_dir)
        self.port = port or free_port()
        self.workers = workers
        self.log_path = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "BERTPREP_DATA_DIR": str(self.data_dir),
            "BERTPREP_DATABASE_URL": self.database_url,  # explicit: no .env file decides
            "BERTPREP_LAB_PRELOAD": "false",
        }

    def migrate(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "app", "migrate"],
            cwd=ROOT,
            env=self._env(),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"migrate failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
            )

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port)]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        return command

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, timeout: float = 90.0) -> float:
        """Start the server and wait until ``/readyz`` answers 200; returns the seconds taken."""
        if self.running:
            raise RuntimeError("the server is already running")
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self.process.poll()
                if code is not None:
                    raise RuntimeError(
                        f"the server exited ({code}) before it was ready; its log ends:\n"
                        + self.log_tail()
                    )
                try:
                    if client.get(self.base_url + "/readyz").status_code == 200:
                        return time.monotonic() - began
                except httpx.TransportError:
                    pass
                if time.monotonic() - began > timeout:
                    self.kill()
                    raise RuntimeError(
                        f"the server was not ready after {timeout:.0f} s; its log ends:\n"
                        + self.log_tail()
                    )
                time.sleep(0.05)

    def _signal(self, signum: int) -> None:
        assert self.process is not None
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """``kill -9`` the server and every process it started (workers), and reap it."""
        if self.process is None:
            return
        self._signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, *, grace: float = 20.0) -> None:
        """SIGTERM (uvicorn finishes in-flight requests), SIGKILL after ``grace`` seconds."""
        if not self.running:
            if self.process is not None:
                self._signal(signal.SIGKILL)  # orphaned workers of a dead supervisor, if any
            return
        assert self.process is not None
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
        self._signal(signal.SIGKILL)  # any worker that outlived its supervisor

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def log_count(self, needle: str) -> int:
        try:
            return self.log_path.read_text(errors="replace").count(needle)
        except FileNotFoundError:
            return 0


@contextmanager
def running_server(*, database_url: str | None = None, workers: int = 1) -> Iterator[Server]:
    """A migrated, started server on a free port with a fresh temporary data directory
    (which also holds the SQLite file unless ``database_url`` names another database)."""
    with tempfile.TemporaryDirectory(prefix="bertprep-bench-") as tmp:
        server = Server(Path(tmp), database_url=database_url, workers=workers)
        server.migrate()
        server.start()
        try:
            yield server
        finally:
            server.stop()


# --- what happened ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    kind: str
    status: int | None  # None: no response (see ``error``)
    error: str | None  # the exception's class name when no response came
    seconds: float
    timed_out: bool = False
    started: float = 0.0  # time.monotonic() when the request was sent

    @property
    def outcome(self) -> str:
        return str(self.status) if self.status is not None else str(self.error)

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 400


@dataclass
class Recorder:
    """Every request made and every answer acknowledged, shared by all learners of a run."""

    samples: list[Sample] = field(default_factory=list)
    acks: dict[str, str] = field(default_factory=dict)  # attempt id -> "api" or "html"
    problems: Counter[str] = field(default_factory=Counter)  # things a learner did not expect
    resends: int = 0  # API attempt ids sent again after a 201
    resend_failures: int = 0  # ... that did not get 200 with the first result

    async def send(
        self, client: httpx.AsyncClient, kind: str, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        """Make one request and record it; None when no response came (timeout, reset ...)."""
        started = time.monotonic()
        began = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            timed_out = isinstance(exc, httpx.TimeoutException)
            seconds = time.perf_counter() - began
            self.samples.append(Sample(kind, None, type(exc).__name__, seconds, timed_out, started))
            return None
        seconds = time.perf_counter() - began
        self.samples.append(Sample(kind, response.status_code, None, seconds, False, started))
        return response

    def acknowledge(self, attempt_id: str, via: str) -> None:
        self.acks.setdefault(attempt_id, via)

    def problem(self, what: str) -> None:
        self.problems[what] += 1

    def count(self, predicate: Callable[[Sample], bool] | None = None) -> int:
        return sum(1 for s in self.samples if predicate is None or predicate(s))


@dataclass(frozen=True)
class Latency:
    """Percentiles of the requests that got a response, in seconds."""

    count: int
    p50: float
    p95: float
    p99: float
    worst: float


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence (not empty)."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _latency(values: Iterable[float]) -> Latency | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return Latency(
        len(ordered),
        percentile(ordered, 50),
        percentile(ordered, 95),
        percentile(ordered, 99),
        ordered[-1],
    )


def latency_table(samples: Sequence[Sample]) -> dict[str, Latency]:
    """Per request kind, in first-seen order, then "all"."""
    kinds = list(dict.fromkeys(s.kind for s in samples))
    table: dict[str, Latency] = {}
    for kind in [*kinds, "all"]:
        figures = _latency(
            s.seconds for s in samples if s.status is not None and kind in (s.kind, "all")
        )
        if figures is not None:
            table[kind] = figures
    return table


# The probe runs in a process of its own: measured from the learners' event loop, a busy load
# generator's own delays would count as the server's. One line per probe: status or the
# exception's name, then seconds.
_PROBE = """
import sys, time, httpx
base = sys.argv[1]
with httpx.Client(timeout=30) as client:
    while sys.stdin.readline():
        began = time.perf_counter()
        try:
            outcome = str(client.get(base + "/healthz").status_code)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        print(outcome, time.perf_counter() - began, flush=True)
"""


@dataclass
class HealthProbe:
    """``GET /healthz`` once a second while a run lasts, and once after it, from a separate
    process (so the figure is the server's, not the load generator's)."""

    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def worst(self) -> float | None:
        return max(self.latencies, default=None)

    async def run(self, base_url: str, stop: asyncio.Event, *, interval: float = 1.0) -> None:
        probe = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _PROBE,
            base_url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert probe.stdin is not None and probe.stdout is not None
        try:
            last = False
            while True:
                began = time.monotonic()
                probe.stdin.write(b"go\n")  # one probe per line
                await probe.stdin.drain()
                outcome, seconds = (await probe.stdout.readline()).decode().split()
                self.latencies.append(float(seconds))
                if outcome != "200":
                    self.failures[outcome] += 1
                if last:
                    break
                left = interval - (time.monotonic() - began)
                if left > 0:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), left)
                last = stop.is_set()  # one more probe after the run
        finally:
            probe.stdin.close()
            await probe.wait()


# --- the site -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    base_url: str
    lessons: tuple[str, ...]  # every lesson slug
    quiz_lessons: tuple[str, ...]  # the lessons that have questions


async def discover(base_url: str) -> Site:
    """Lesson slugs, and which lessons have questions (asked as a guest, not recorded)."""
    async with new_client(base_url) as client:
        listed = await client.get("/api/v1/lessons")
        listed.raise_for_status()
        lessons = tuple(lesson["slug"] for lesson in listed.json())
        (await client.get("/quiz")).raise_for_status()  # a guest cookie for the question list
        questions = await client.get("/api/v1/questions")
        questions.raise_for_status()
        with_questions = {q["lesson"].split("#")[0] for q in questions.json()}
    quiz_lessons = tuple(slug for slug in lessons if slug in with_questions)
    if not lessons or not quiz_lessons:
        raise RuntimeError(f"{base_url} lists no lessons or no questions")
    return Site(base_url, lessons, quiz_lessons)


# --- HTML forms ---------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)
    selects: dict[str, list[str]] = field(default_factory=dict)
    text_inputs: list[str] = field(default_factory=list)
    textareas: list[str] = field(default_factory=list)
    buttons: dict[str, list[str]] = field(default_factory=dict)  # submit buttons with a name


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is None:
            return
        if tag == "option" and self._select is not None:
            form.selects[self._select].append(a.get("value", ""))
        if not name:
            return
        kind = a.get("type", "text").lower()
        if tag == "input" and kind == "hidden":
            form.hidden[name] = a.get("value", "")
        elif tag == "input" and kind == "radio":
            form.radios.setdefault(name, []).append(a.get("value", ""))
        elif tag == "input" and kind == "checkbox":
            form.checkboxes.setdefault(name, []).append(a.get("value", ""))
        elif (tag == "input" and kind == "submit") or tag == "button":
            form.buttons.setdefault(name, []).append(a.get("value", ""))
        elif tag == "input":
            form.text_inputs.append(name)
        elif tag == "select":
            self._select = name
            form.selects[name] = []
        elif tag == "textarea":
            form.textareas.append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def find_form(html: str, action: str) -> Form | None:
    """The first POST form of the page whose action is ``action``."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return next((f for f in parser.forms if f.method == "post" and f.action == action), None)


def html_answer(form: Form, rng: random.Random) -> dict[str, str | list[str]] | None:
    """Fields to post for a question form: its hidden fields and a (random) answer."""
    data: dict[str, str | list[str]] = dict(form.hidden)
    positions = [name for name in form.selects if name.startswith("pos_")]
    if form.radios.get("choice"):
        data["choice"] = rng.choice(form.radios["choice"])
    elif form.checkboxes.get("choices"):
        options = form.checkboxes["choices"]
        data["choices"] = rng.sample(options, rng.randint(1, len(options)))
    elif form.radios.get("value"):
        data["value"] = rng.choice(form.radios["value"])
    elif "value" in form.text_inputs:
        data["value"] = f"{rng.randint(1, 10**7):,}"
    elif positions:
        places = [str(n) for n in range(1, len(positions) + 1)]
        rng.shuffle(places)
        data.update(zip(positions, places, strict=True))
    elif "text" in form.textareas:
        data["text"] = rng.choice(OPEN_ANSWERS)
    else:
        return None
    return data


# --- API answers --------------------------------------------------------------------------


def api_response(question: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A (random) response shaped for the question's type, as README.md describes."""
    kind = question["type"]
    ids = [option["id"] for option in question.get("options") or []]
    if kind == "single":
        return {"choice": rng.choice(ids)}
    if kind == "multiple":
        return {"choices": rng.sample(ids, rng.randint(1, len(ids)))}
    if kind == "truefalse":
        return {"value": rng.random() < 0.5}
    if kind == "numeric":
        response: dict[str, Any] = {"value": float(rng.randint(1, 10**7))}
        if question.get("seed") is not None:
            response["seed"] = question["seed"]  # a calculated question: its drawn values
        return response
    if kind == "order":
        return {"order": rng.sample(ids, len(ids))}
    return {"text": rng.choice(OPEN_ANSWERS), "rating": rng.randint(1, 4)}


def api_attempt(question: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A ``POST /api/v1/attempts`` body with a fresh attempt id."""
    body: dict[str, Any] = {
        "attempt_id": str(uuid.uuid4()),
        "question_id": question["id"],
        "response": api_response(question, rng),
        "duration_ms": rng.randint(2_000, 90_000),
    }
    if question.get("options"):
        body["shown_order"] = [option["id"] for option in question["options"]]
    return body


async def create_api_user(client: httpx.AsyncClient, username: str, password: str) -> str:
    """Sign up through the API and return a token (for set-up, outside any measurement)."""
    created = await client.post(
        "/api/v1/accounts", json={"username": username, "password": password}
    )
    created.raise_for_status()
    token = await client.post("/api/v1/tokens", auth=(username, password))
    token.raise_for_status()
    secret: str = token.json()["token"]
    return secret


# --- learners -----------------------------------------------------------------------------


class GiveUp(Exception):
    """A learner met something it cannot go on from (already recorded as a problem)."""


class Learner:
    """One simulated learner: its own client (cookies), a random think time between actions."""

    role = "learner"

    def __init__(
        self,
        name: str,
        site: Site,
        recorder: Recorder,
        *,
        think: tuple[float, float],
        rng: random.Random,
    ) -> None:
        self.name = name
        self.site = site
        self.recorder = recorder
        self.think_range = think
        self.rng = rng
        self.client = new_client(site.base_url, follow_redirects=False)

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.think_range))

    async def send(self, kind: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        return await self.recorder.send(self.client, kind, method, url, **kwargs)

    async def setup(self) -> bool:
        """Get ready (sign up ...); False to try again after a pause."""
        return True

    async def step(self) -> None:
        raise NotImplementedError

    async def run(self, deadline: float) -> None:
        try:
            await self.think()  # learners arrive spread out, not all in the first millisecond
            ready = False
            while not ready and time.monotonic() < deadline:
                ready = await self.setup()
                if not ready:
                    await self.think()
            while ready and time.monotonic() < deadline:
                await self.step()
                await self.think()
        except GiveUp:
            pass
        except Exception as exc:  # a bug here or a malformed answer there: say so, go on
            self.recorder.problem(f"{self.role} learner stopped by {type(exc).__name__}: {exc}")
        finally:
            await self.client.aclose()


class GuestLearner(Learner):
    """Reads lessons, answers quiz questions through the HTML forms (cookie + CSRF), looks at
    the review queue (and rates a card now and then), the progress page and the home page."""

    role = "guest"
    ACTIONS = ("lesson", "quiz", "review", "progress", "home")
    WEIGHTS = (3, 4, 1, 1, 1)

    async def step(self) -> None:
        action = self.rng.choices(self.ACTIONS, self.WEIGHTS)[0]
        if action == "lesson":
            await self.send("lesson", "GET", f"/lessons/{self.rng.choice(self.site.lessons)}")
        elif action == "quiz":
            await self.quiz()
        elif action == "review":
            await self.review()
        elif action == "progress":
            await self.send("progress", "GET", "/progress")
        else:
            await self.send("home", "GET", "/")

    async def quiz(self) -> None:
        lesson = self.rng.choice([*self.site.quiz_lessons, "mixed"])
        action = f"/quiz/{lesson}"
        page = await self.send("quiz_page", "GET", action)
        if page is None or page.status_code != 200:
            return
        form = find_form(page.text, action)
        if form is None or not form.hidden.get("csrf_token") or "attempt_id" not in form.hidden:
            self.recorder.problem("quiz page without its form")
            return
        data = html_answer(form, self.rng)
        if data is None:
            self.recorder.problem("quiz form of a kind the learner does not know")
            return
        await self.think()
        answer = await self.send("quiz_answer", "POST", action, data=data)
        if answer is None:
            return
        rate = find_form(answer.text, action) if answer.status_code == 200 else None
        if rate is not None and rate.buttons.get("rating"):  # an open question: rate yourself
            await self.think()
            data = {**rate.hidden, "rating": self.rng.choice(rate.buttons["rating"])}
            answer = await self.send("quiz_rate", "POST", action, data=data)
            if answer is None:
                return
        if answer.status_code == 200 and VERDICT in answer.text:
            self.recorder.acknowledge(str(data["attempt_id"]), "html")
        elif answer.status_code == 200:
            self.recorder.problem("answer page (200) without a verdict")
        elif answer.status_code < 500:
            self.recorder.problem(f"quiz answer refused ({answer.status_code})")

    async def review(self) -> None:
        page = await self.send("review", "GET", "/review")
        if page is None or page.status_code != 200:
            return
        form = find_form(page.text, "/review")
        if form is None or not form.buttons.get("rating") or self.rng.random() < 0.5:
            return
        await self.think()
        data = {**form.hidden, "rating": self.rng.choice(form.buttons["rating"])}
        rated = await self.send("review_rate", "POST", "/review", data=data)
        if rated is not None and rated.status_code != 303 and rated.status_code < 500:
            self.recorder.problem(f"review rating refused ({rated.status_code})")


class SignupLearner(GuestLearner):
    """Signs up through the HTML form on /account first, then learns like a guest."""

    role = "signup"

    def __init__(self, name: str, site: Site, recorder: Recorder, **kwargs: Any) -> None:
        super().__init__(name, site, recorder, **kwargs)
        self.password = secrets.token_urlsafe(15)

    async def setup(self) -> bool:
        page = await self.send("account_page", "GET", "/account")
        if page is None or page.status_code != 200:
            return False
        form = find_form(page.text, "/account/register")
        if form is None or not form.hidden.get("csrf_token"):
            self.recorder.problem("account page without the sign-up form")
            raise GiveUp
        data = {**form.hidden, "username": self.name, "password": self.password}
        done = await self.send("html_register", "POST", "/account/register", data=data)
        if done is None or done.status_code >= 500:
            return False
        if done.status_code != 303:
            self.recorder.problem(f"HTML sign-up refused ({done.status_code})")
        return True  # signed in, or (refused) on as a guest


class TokenLearner(Learner):
    """Signs up through the API, creates a token, then answers through the API (resending an
    attempt id now and then: a resend must get 200 and the first result), and reads its
    progress and due reviews."""

    role = "token"
    RESEND = 0.25  # share of acknowledged answers sent again

    def __init__(self, name: str, site: Site, recorder: Recorder, **kwargs: Any) -> None:
        super().__init__(name, site, recorder, **kwargs)
        self.password = secrets.token_urlsafe(15)
        self.signed_up = False
        self.questions: list[dict[str, Any]] = []

    async def setup(self) -> bool:
        if not self.signed_up:
            body = {"username": self.name, "password": self.password}
            created = await self.send("api_signup", "POST", "/api/v1/accounts", json=body)
            if created is None or created.status_code >= 500:
                return False
            if created.status_code == 409:  # a first try that got no answer made it
                self.recorder.problem("API sign-up answered 409 (a retry after no answer)")
            elif created.status_code != 201:
                self.recorder.problem(f"API sign-up refused ({created.status_code})")
                raise GiveUp
            self.signed_up = True
        token = await self.send(
            "api_token", "POST", "/api/v1/tokens", auth=(self.name, self.password)
        )
        if token is None or token.status_code >= 500:
            return False
        if token.status_code != 201:
            self.recorder.problem(f"token creation refused ({token.status_code})")
            raise GiveUp
        self.client.headers["Authorization"] = f"Bearer {token.json()['token']}"
        return True

    async def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.75:
            await self.answer()
        elif roll < 0.875:
            await self.send("api_progress", "GET", "/api/v1/progress")
        else:
            await self.send("api_due", "GET", "/api/v1/reviews/due")

    async def answer(self) -> None:
        if not self.questions or self.rng.random() < 0.2:
            lesson = self.rng.choice(self.site.quiz_lessons)
            listed = await self.send("api_questions", "GET", "/api/v1/questions?lesson=" + lesson)
            if listed is None or listed.status_code != 200:
                return
            self.questions = listed.json()
        await self.think()
        body = api_attempt(self.rng.choice(self.questions), self.rng)
        first = await self.send("api_attempt", "POST", "/api/v1/attempts", json=body)
        if first is None or first.status_code >= 500:
            # No answer: a client sends the same attempt id again (safe by design).
            await self.think()
            first = await self.send("api_retry", "POST", "/api/v1/attempts", json=body)
            if first is None:
                return
        if first.status_code not in (200, 201):
            if first.status_code < 500:
                self.recorder.problem(f"API answer refused ({first.status_code})")
            return
        self.recorder.acknowledge(body["attempt_id"], "api")
        if first.status_code == 201 and self.rng.random() < self.RESEND:
            await self.resend(body, first.json())

    async def resend(self, body: dict[str, Any], result: dict[str, Any]) -> None:
        again = await self.send("api_resend", "POST", "/api/v1/attempts", json=body)
        if again is None:
            return  # nothing learnt; the timeout is counted on its own
        self.recorder.resends += 1
        if again.status_code != 200:
            self.recorder.resend_failures += 1
            self.recorder.problem(f"resent attempt id answered {again.status_code}, not 200")
        elif again.json() != result:
            self.recorder.resend_failures += 1
            differ = sorted(k for k in result if again.json().get(k) != result[k])
            self.recorder.problem(f"resent attempt id got another result ({', '.join(differ)})")


ROLES: dict[str, type[Learner]] = {
    "guest": GuestLearner,
    "token": TokenLearner,
    "signup": SignupLearner,
}
MIX = ("guest", "token", "signup", "guest", "token", "guest")  # 1/2 guests, 1/3, 1/6


def make_learners(
    count: int,
    site: Site,
    recorder: Recorder,
    *,
    think: tuple[float, float],
    rng: random.Random,
) -> list[Learner]:
    """``count`` learners in the proportions of ``MIX``, with unique usernames for this run."""
    run = secrets.token_hex(4)
    return [
        ROLES[MIX[i % len(MIX)]](
            f"b{run}-{MIX[i % len(MIX)]}-{i}",
            site,
            recorder,
            think=think,
            rng=random.Random(rng.getrandbits(64)),
        )
        for i in range(count)
    ]


# --- the database -------------------------------------------------------------------------


@dataclass(frozen=True)
class DbCheck:
    """Acknowledged attempt ids against the database: each must have exactly one ``attempt``
    row and exactly one ``review_log`` row. ``lost``: no attempt row or no log row;
    ``duplicated``: more than one of either."""

    acknowledged: int
    stored_once: int
    missing_attempt: int
    missing_log: int
    extra_attempt: int
    extra_log: int
    lost: int
    duplicated: int
    examples: tuple[str, ...]  # a few ids that failed, to look up

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0

    def line(self) -> str:
        text = (
            f"{self.acknowledged} acknowledged, {self.stored_once} stored once, "
            f"{self.lost} lost, {self.duplicated} duplicated"
        )
        if not self.ok:
            text += (
                f" (attempt rows missing {self.missing_attempt}, extra {self.extra_attempt}; "
                f"review_log rows missing {self.missing_log}, extra {self.extra_log}; "
                f"e.g. {', '.join(self.examples)})"
            )
        return text


def _counts(connection: Any, sql: str, ids: list[str]) -> Counter[str]:
    query = text(sql).bindparams(bindparam("ids", expanding=True))
    found: Counter[str] = Counter()
    for start in range(0, len(ids), 500):
        for key, n in connection.execute(query, {"ids": ids[start : start + 500]}):
            found[str(key)] += int(n)
    return found


def check_acknowledged(database_url: str, attempt_ids: Iterable[str]) -> DbCheck:
    ids = sorted(set(attempt_ids))
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            attempts = _counts(
                connection, "SELECT id, COUNT(*) FROM attempt WHERE id IN :ids GROUP BY id", ids
            )
            logs = _counts(
                connection,
                "SELECT attempt_id, COUNT(*) FROM review_log WHERE attempt_id IN :ids "
                "GROUP BY attempt_id",
                ids,
            )
    finally:
        engine.dispose()
    lost = [i for i in ids if attempts[i] == 0 or logs[i] == 0]
    duplicated = [i for i in ids if attempts[i] > 1 or logs[i] > 1]
    return DbCheck(
        acknowledged=len(ids),
        stored_once=sum(1 for i in ids if attempts[i] == 1 and logs[i] == 1),
        missing_attempt=sum(1 for i in ids if attempts[i] == 0),
        missing_log=sum(1 for i in ids if logs[i] == 0),
        extra_attempt=sum(1 for i in ids if attempts[i] > 1),
        extra_log=sum(1 for i in ids if logs[i] > 1),
        lost=len(lost),
        duplicated=len(duplicated),
        examples=tuple((lost + duplicated)[:5]),
    )


def sqlite_integrity(database_url: str) -> str | None:
    """``PRAGMA integrity_check`` ("ok" when sound) for SQLite; None for other databases."""
    if make_url(database_url).get_backend_name() != "sqlite":
        return None
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = [str(row[0]) for row in connection.exec_driver_sql("PRAGMA integrity_check")]
    finally:
        engine.dispose()
    return "; ".join(rows)

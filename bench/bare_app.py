"""The baseline for bench/pages.py: a bare FastAPI endpoint returning fixed bytes."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response


def create_bare_app() -> FastAPI:
    body = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()
    path = os.environ.get("BENCH_PATH", "/lessons/distilbert")
    app = FastAPI()

    @app.get(path)
    async def page() -> Response:
        return Response(body, media_type="text/html; charset=utf-8")

    return app

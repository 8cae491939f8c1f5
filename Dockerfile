# bertprep: slim Python 3.11, non-root, migrations then uvicorn on 0.0.0.0:8000 (as `make run`:
# migrate, then serve; `bertprep serve` checks the content and the schema itself).
# Not built in CI (no container engine there); tests/test_deploy_files.py checks what it runs.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BERTPREP_DATA_DIR=/app/data \
    BERTPREP_MODELS_DIR=/app/models \
    PORT=8000

WORKDIR /app

RUN groupadd --system bertprep && useradd --system --gid bertprep --home-dir /app bertprep

# Dependencies first, so editing content or templates does not reinstall them.
COPY pyproject.toml README.md ./
COPY app/__init__.py app/__init__.py
RUN pip install --no-cache-dir -e '.[postgres]'

COPY app ./app
COPY templates ./templates
COPY static ./static
COPY content ./content
COPY migrations ./migrations
COPY alembic.ini ./

# The lab's pretrained MiniLM (~90 MB, SHA-256 checked), baked into the image outside the data
# volume; a build without network still succeeds and the lab then says the model is missing.
RUN bertprep fetch-model || echo "bertprep: building without the pretrained model"

RUN mkdir -p /app/data && chown -R bertprep:bertprep /app/data
USER bertprep
VOLUME ["/app/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=2).status != 200)"

# WORKERS > 1 needs PostgreSQL (BERTPREP_DATABASE_URL); on the SQLite default, keep one.
ENV WORKERS=1
CMD ["sh", "-c", "bertprep migrate && exec bertprep serve --host 0.0.0.0 --port ${PORT} --workers ${WORKERS}"]

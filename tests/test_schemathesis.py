"""schemathesis against the app's own OpenAPI, authenticated, every operation: no 5xx, and every
response matches what the document declares (status code, content type, headers, body schema).

Not run: schemathesis's positive/negative data acceptance checks. The API rightly refuses some
schema-valid bodies (a question id that does not exist, an attempt_id that is not a UUID, a
password too short) with a 4xx that explains why; those cases have tests of their own.

The app is built at import time (schemathesis parametrizes at collection) on its own temporary
SQLite file, migrated like every other test database.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.migrate import upgrade
from tests.conftest import make_account

_DATA = Path(tempfile.mkdtemp(prefix="bertprep-schemathesis-"))
_SETTINGS = Settings(
    _env_file=None,
    data_dir=_DATA,
    content_dir=PROJECT_ROOT / "content",
    secret_key="s" * 40,
    # Lab runs stay small, so fuzzing them takes seconds; larger requests must get their 422.
    lab_max_preset="small",
    lab_max_work=3.0,
    lab_preload=False,
)
upgrade(_SETTINGS.resolved_database_url)
APP = create_app(_SETTINGS)
with TestClient(APP) as _client:
    HEADERS = make_account(_client, "fuzzer", "fuzzing password")

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.allow_header_conformance,
    checks.unsupported_method,
    checks.ignored_auth,
    checks.use_after_free,
]


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case: schemathesis.Case) -> None:
    headers = dict(HEADERS)
    if case.method == "DELETE" and case.path == "/api/v1/me":
        headers = {}  # keep the fuzzer's account alive: this operation is fuzzed unauthenticated
    case.call_and_validate(headers=headers, checks=CHECKS)

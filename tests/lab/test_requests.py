"""The lab's request models: one validation path for the JSON API and the ``/lab`` forms."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import Settings
from app.encoders.configs import PRESETS
from app.encoders.variants import ARCHITECTURES
from app.lab.requests import FORM, CompareIn, Refused, SweepIn
from app.main import create_app


def _alert(page: str) -> str:
    match = re.search(r'role="alert"[^>]*>([^<]*)<', page)
    assert match, "no error message on the page"
    return html.unescape(match.group(1))


def test_the_names_come_from_the_encoders(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    run = schemas["RunIn"]["properties"]
    assert run["variant"]["enum"] == [str(name) for name in ARCHITECTURES]
    assert run["preset"]["enum"] == [str(preset) for preset in PRESETS]


@pytest.mark.parametrize("raw", ["²", "٣", "5.0", "+5", "1_0", " "])
def test_a_form_number_is_ascii_digits_while_json_keeps_pydantics_reading(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SweepIn.model_validate(
            {"runs": raw, "variants": ["bert"], "lengths": ["16", "32"]}, context=FORM
        )
    assert [e["type"] for e in caught.value.errors()] == ["whole_number"]
    if raw.strip() and raw.isascii():
        assert CompareIn.model_validate({"seq_len": 8, "runs": raw}).runs is not None


def test_blank_text_is_refused_past_pydantic_so_the_api_sends_the_message_alone() -> None:
    with pytest.raises(Refused) as caught:
        CompareIn.model_validate({"text": "  "})
    assert caught.value.code == "empty_text" and caught.value.field == "text"


def test_the_api_and_the_form_refuse_too_much_work_with_the_same_message(
    migrated: Settings,
) -> None:
    with TestClient(create_app(migrated.model_copy(update={"lab_max_work": 5.0}))) as client:
        api = client.post("/api/v1/lab/compare", json={"preset": "tiny", "seq_len": 64, "runs": 10})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/lab").text)
        assert csrf
        form = {
            "csrf_token": csrf.group(1),
            "source": "length",
            "seq_len": "64",
            "preset": "tiny",
            "runs": "10",
            "variants": [str(name) for name in ARCHITECTURES if name not in ("bert", "minilm")],
        }
        page = client.post("/lab", data=form)
    assert api.status_code == page.status_code == 422
    assert "GFLOP" in api.json()["detail"]
    assert _alert(page.text) == api.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"preset": "medium", "runs": "0"}, "This server runs presets up to 'small'"),
        ({"variants": ["minilm"], "runs": "0"}, "MiniLM cannot run here"),
        ({"source": "text", "text": " " * 4001}, "The text is empty"),
        ({"runs": "0", "seq_len": "0"}, "Runs must be from 1 to 50"),
    ],
)
def test_with_several_problems_the_form_names_the_first_as_it_reads(
    migrated: Settings, fields: dict[str, object], message: str
) -> None:
    with TestClient(create_app(migrated.model_copy(update={"lab_max_preset": "small"}))) as client:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/lab").text)
        assert csrf
        form = {
            "csrf_token": csrf.group(1),
            "source": "length",
            "seq_len": "8",
            "preset": "tiny",
            "runs": "1",
            "variants": ["albert"],
        }
        page = client.post("/lab", data=form | fields)
    assert page.status_code == 422
    assert _alert(page.text).startswith(message)

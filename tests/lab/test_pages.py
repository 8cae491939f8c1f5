"""The ``/lab`` page driven as a browser without JavaScript would: the forms, a comparison with
its table, explanations and charts, the prediction, a sweep, and every bad input answered with
the form again and a message that says what to fix."""

from __future__ import annotations

import html
import itertools
import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.encoders import cost
from app.errors import RateLimited
from app.lab import charts
from app.main import create_app
from app.quiz.scheduling import make_scheduler
from tests.lab import needs

FIVE_TITLES = ("BERT", "RoBERTa", "DistilBERT", "ALBERT", "DeBERTa-v3")


def _csrf(client: TestClient) -> str:
    page = client.get("/lab")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "no CSRF field on /lab"
    return match.group(1)


def _compare_form(client: TestClient, **overrides: Any) -> dict[str, Any]:
    """The compare form as a learner might send it: 32 synthetic tokens, tiny, one run."""
    form: dict[str, Any] = {
        "csrf_token": _csrf(client),
        "source": "length",
        "seq_len": "32",
        "preset": "tiny",
        "runs": "1",
        "variants": ["roberta", "distilbert", "albert", "deberta"],
        "focus": "",
    }
    return form | overrides


def _alert(page: str) -> str:
    match = re.search(r'role="alert"[^>]*>([^<]*)<', page)
    assert match, "no error message on the page"
    return html.unescape(match.group(1))


def _first(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"nothing matches {pattern}"
    return match.group(1)


def _svg_titles(page: str) -> list[str]:
    return [
        html.unescape(t) for t in re.findall(r'<title id="lab-[a-z]+-title">([^<]*)</title>', page)
    ]


# --- the form -------------------------------------------------------------------------------


def test_lab_page_shows_the_form_and_says_random_weights_measure_cost(client: TestClient) -> None:
    response = client.get("/lab")
    assert response.status_code == 200
    page = response.text
    assert "Random weights measure cost, not quality." in page
    assert 'action="/lab#results"' in page and 'action="/lab/sweep#results"' in page
    assert page.count('name="csrf_token"') == 5  # compare, sweep and the three demos
    assert '<option value="tiny" selected>' in page
    for name in ("roberta", "distilbert", "albert", "deberta"):
        assert f'name="variants" value="{name}" checked' in page
        assert f'name="rank_{name}"' in page
    assert 'name="rank_bert"' in page
    # No MiniLM or tokenizer in the test's data directory: the page says why, and offers lengths.
    assert "unavailable: the pretrained model is not installed" in page
    assert 'value="length" data-source="length" checked' in page
    estimate = float(_first(r'data-estimate="([0-9.]+)"', page))
    assert 0 < estimate < 10
    work = json.loads(html.unescape(_first(r'data-work="([^"]+)"', page)))
    assert set(work["gflop"]["tiny"]) == {"bert", "roberta", "distilbert", "albert", "deberta"}
    assert work["lengths"] == [16, 32, 64, 128, 256, 512]
    assert re.search(r'<script src="/static/js/lab.js\?v=[0-9a-f]+" defer></script>', page)
    assert "style=" not in page  # the CSP allows no inline styles


def test_nav_links_to_the_lab(client: TestClient) -> None:
    assert '<a href="/lab">Lab</a>' in client.get("/lessons").text
    assert '<a href="/lab" aria-current="page">Lab</a>' in client.get("/lab").text


@pytest.mark.parametrize("slug", ["bert", "albert", "deberta", "cheat-sheet"])
def test_lessons_link_into_the_lab_with_their_preset(client: TestClient, slug: str) -> None:
    page = client.get(f"/lessons/{slug}").text
    assert f'href="/lab?preset=tiny&amp;focus={slug}">See it in the lab</a>' in page
    lab = client.get(f"/lab?preset=tiny&focus={slug}")
    assert lab.status_code == 200


def test_a_lesson_link_focuses_its_variant(client: TestClient) -> None:
    page = client.get("/lab?preset=tiny&focus=albert").text
    assert (
        'You came from the <a href="/lessons/albert#does-albert-run-faster">ALBERT lesson</a>'
        in page
    )
    assert 'name="focus" value="albert"' in page
    assert "You came from" not in client.get("/lab?preset=tiny&focus=cheat-sheet").text


def test_variants_in_the_link_are_preselected(client: TestClient) -> None:
    page = client.get("/lab?variants=albert,deberta").text
    assert 'name="variants" value="albert" checked' in page
    assert 'name="variants" value="roberta" checked' not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("preset=huge", "There is no preset 'huge'; choose from tiny, small, medium, base."),
        ("variants=gpt", "There is no variant 'gpt'"),
        ("focus=gpt", "There is no variant 'gpt' to look at"),
    ],
)
def test_a_bad_link_is_a_422_with_the_form(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/lab?{query}")
    assert response.status_code == 422
    assert _alert(response.text).startswith(message)
    assert "Run the comparison" in response.text


def test_a_server_capped_below_the_link_says_so(migrated: Settings) -> None:
    app = create_app(migrated.model_copy(update={"lab_max_preset": "small"}))
    with TestClient(app) as client:
        page = client.get("/lab").text
        assert '<option value="medium"' not in page and '<option value="small"' in page
        response = client.get("/lab?preset=base")
        assert response.status_code == 422
        assert _alert(response.text) == "This server runs presets up to 'small'; 'base' is larger."


# --- a comparison ---------------------------------------------------------------------------


def test_compare_runs_all_five_explains_and_draws(client: TestClient, app: FastAPI) -> None:
    ranks = {"rank_distilbert": "1", "rank_albert": "2", "rank_bert": "3", "rank_roberta": "4"}
    response = client.post("/lab", data=_compare_form(client, focus="albert", **ranks))
    assert response.status_code == 200, _alert(response.text)
    page = response.text
    assert "Random weights measure cost, not quality." in page  # also next to the results

    table = page[page.index('<table class="data-table lab-table"') :]
    table = table[: table.index("</table>")]
    for title in FIVE_TITLES:
        assert f"</span>{title}" in table
    assert table.count("<tr") == 1 + 5
    assert '<tr class="is-focus">' in table and "your lesson" in table
    assert f"1.00{charts.TIMES}" in table and f"(p10{charts.DASH}p90)" in page
    # The time ratios with their spread: a number, or "same within noise" with the number small.
    block = page[page.index('class="lab-ratio-block"') :]
    block = block[: block.index("</section>")]
    lines = re.findall(r"<li>(.*?)</li>", block, re.S)
    assert len(lines) == 4  # every model but BERT
    for line in lines:
        ranged = re.search(rf"p10{charts.DASH}p90 (\d\.\d\d){charts.DASH}(\d\.\d\d)", line)
        assert ranged, line
        low, high = float(ranged.group(1)), float(ranged.group(2))
        same = "same as BERT within noise" in line
        assert same == (low <= 1.0 <= high), line
        assert same or re.search(rf"<strong>\d\.\d\d{charts.TIMES}</strong> BERT's time", line)
    # Time per module: the modules and "other" add up to the pass's total, per column.
    numbers = page[page.index('id="modules-h"') :]
    numbers = numbers[numbers.index("<tbody>") : numbers.index("</tbody>")]
    body_rows = re.findall(r'<tr(?: class="total")?><th scope="row">(.*?)</th>(.*?)</tr>', numbers)
    labels = [label for label, _ in body_rows]
    assert charts.OTHER_LABEL in labels and "Total: the pass timed by module" in labels
    cells = {
        label: [_ms(v) for v in re.findall(r'<td class="num">(.*?)</td>', row)]
        for label, row in body_rows
    }
    total = cells["Total: the pass timed by module"]
    parts = [
        c
        for label, c in cells.items()
        if label not in ("Total: the pass timed by module", "Median latency (untimed passes)")
    ]
    for column, whole in enumerate(total):
        shown = sum(p[column] for p in parts)
        assert shown == pytest.approx(whole, rel=0.01, abs=0.005 * len(parts))

    explanations = re.findall(
        r'<li(?: class="is-focus")?><span class="lab-swatch[^>]*></span><span>(.*?)</span></li>',
        page,
    )
    assert len(explanations) == 5
    content = app.state.content
    anchors = {lesson.slug: lesson.anchors for lesson in content.lessons}
    for line, title in zip(explanations, FIVE_TITLES, strict=True):
        assert html.unescape(line).startswith(title.split("-")[0])
        url = _first(r'<a href="(/lessons/[^"]+)">', line)
        slug, _, anchor = url.removeprefix("/lessons/").partition("#")
        assert anchor in anchors[slug], url

    assert _svg_titles(page) == [
        "Latency, median of the runs",
        "Time per module",
        "Parameters by part",
    ]
    for chart_id in ("lab-latency", "lab-modules", "lab-params"):
        svg = page[page.index(f'<svg class="chart lab-chart" id="{chart_id}"') :]
        svg = svg[: svg.index("</svg>")]
        assert 'role="img"' in svg and f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert "style=" not in svg
        for title in FIVE_TITLES:
            assert title in svg  # a label, and the same number in the desc

    assert "You ordered" in page or "You predicted the order exactly." in page
    assert "You said, fastest first" in page and "Measured, fastest first" in page
    assert "A synthetic sequence of 32 tokens" in page
    assert "byte-level BPE" in page and "SentencePiece" in page
    assert "<dt>numpy</dt>" in page and "<dt>BLAS</dt>" in page
    # The learner's inputs are kept for the next run.
    assert 'name="seq_len" type="number"' in page and 'value="32"' in page
    assert re.search(r'<option value="1" selected>1</option>', page)
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", page)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


@pytest.mark.parametrize(
    ("fields", "message", "kept"),
    [
        ({"seq_len": "0"}, "The sequence length must be from 1 to 512; you sent 0.", 'value="0"'),
        (
            {"seq_len": "lots"},
            "The sequence length must be a whole number from 1 to 512; you sent 'lots'.",
            'value="lots"',
        ),
        ({"runs": "0"}, "Runs must be from 1 to 50; you sent 0.", 'value="0"'),
        (
            {"preset": "huge"},
            "There is no preset 'huge'; choose from tiny, small, medium, base.",
            'value="32"',
        ),
        ({"variants": []}, "Tick at least one variant to compare with BERT.", 'value="32"'),
        ({"variants": ["gpt"]}, "There is no variant 'gpt'", 'value="32"'),
        (
            {"variants": ["minilm"]},
            "MiniLM cannot run here: the pretrained model is not installed",
            'value="32"',
        ),
        ({"source": "text", "text": "Hello"}, "Text needs the WordPiece tokenizer", 'value="32"'),
        (
            {"source": "text", "text": "  "},
            "The text is empty: type a sentence, or choose a length.",
            'value="32"',
        ),
        (
            {"rank_bert": "2", "rank_roberta": "2", "rank_albert": "1"},
            "Rank 2 is given to both BERT and RoBERTa: use each rank once, 1 for the fastest.",
            '<option value="2" selected>2</option>',
        ),
        (
            {"rank_bert": "1"},
            "Rank at least two variants to make a prediction, or none.",
            'value="32"',
        ),
        (
            {"rank_bert": "9", "rank_albert": "1"},
            "BERT's rank must be from 1 to 5; you sent 9.",
            'value="32"',
        ),
        (
            {"variants": ["albert"], "rank_bert": "1", "rank_deberta": "2"},
            "You ranked DeBERTa-v3 but did not tick it to run: tick it, or clear its rank.",
            'value="32"',
        ),
        (
            {"runs": "50", "seq_len": "512", "preset": "base"},
            "That request needs about",
            'value="512"',
        ),
    ],
)
def test_bad_input_renders_the_form_with_a_message(
    client: TestClient, fields: dict[str, Any], message: str, kept: str
) -> None:
    response = client.post("/lab", data=_compare_form(client, **fields))
    assert response.status_code == 422
    assert _alert(response.text).startswith(message)
    assert kept in response.text
    assert 'id="results"' not in response.text
    assert 'aria-describedby="compare-error"' in response.text


def test_a_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    for path in ("/lab", "/lab/sweep"):
        response = client.post(path, data=_compare_form(client, csrf_token="forged"))
        assert response.status_code == 403
        assert "expired or did not come from this site" in response.text


class FullPool:
    """A pool that is always full, as under load."""

    workers = 1

    async def run(self, work: object) -> object:
        raise RateLimited("The lab is busy with 3 runs; try again in a few seconds.", retry_after=4)


def test_a_busy_lab_is_a_429_with_the_form_kept(migrated: Settings) -> None:
    app = create_app(migrated, rng=random.Random(7), scheduler=make_scheduler(fuzz=False))
    app.state.lab_pool = FullPool()
    with TestClient(app) as client:
        response = client.post("/lab", data=_compare_form(client, seq_len="48"))
        assert response.status_code == 429
        assert response.headers["retry-after"] == "4"
        assert _alert(response.text).startswith("The lab is busy with 3 runs")
        assert 'value="48"' in response.text
        sweep = client.post(
            "/lab/sweep",
            data={
                "csrf_token": _csrf(client),
                "preset": "tiny",
                "runs": "1",
                "lengths": ["16", "32"],
                "variants": ["albert"],
            },
        )
        assert sweep.status_code == 429 and 'id="sweep-error"' in sweep.text


# --- a sweep --------------------------------------------------------------------------------


def _sweep_form(client: TestClient, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": _csrf(client),
        "preset": "tiny",
        "runs": "1",
        "lengths": ["16", "32"],
        "variants": ["distilbert"],
    }
    return form | overrides


def _ms(cell: str) -> float:
    """'1.23 ms' as 1.23, a dash (no time in that module) as 0."""
    return 0.0 if cell == charts.DASH else float(cell.removesuffix(" ms").replace(",", ""))


def test_sweep_draws_latency_against_sequence_length(client: TestClient) -> None:
    response = client.post("/lab/sweep", data=_sweep_form(client))
    assert response.status_code == 200, _alert(response.text)
    page = response.text
    assert _svg_titles(page) == ["Latency against sequence length"]
    svg = page[page.index('id="lab-sweep"') : page.index("</svg>")]
    assert svg.count("<polyline") == 2  # BERT, always, and DistilBERT: two lengths, no fit
    assert svg.count("<circle") == 4
    assert "linear scale" in svg and "Sweep three or more lengths" in page
    assert '<th scope="col" class="num">16 tokens</th>' in page and "32 tokens</th>" in page
    assert "DistilBERT" in svg and "BERT" in svg
    assert 'name="lengths" value="16" checked' in page and 'name="lengths" value="64">' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lengths": ["16"]}, "Tick at least two lengths to draw a line."),
        (
            {"lengths": ["16", "100"]},
            "The sweep runs at 16, 32, 64, 128, 256, 512 tokens; 100 is not one.",
        ),
        ({"runs": "x"}, "Runs must be a whole number from 1 to 50; you sent 'x'."),
        ({"variants": []}, "Tick at least one variant to sweep with BERT."),
        ({"preset": "base", "runs": "50", "lengths": ["256", "512"]}, "That request needs about"),
    ],
)
def test_bad_sweep_input_renders_the_form_with_a_message(
    client: TestClient, fields: dict[str, Any], message: str
) -> None:
    response = client.post("/lab/sweep", data=_sweep_form(client, **fields))
    assert response.status_code == 422
    assert _alert(response.text).startswith(message)
    assert 'aria-describedby="sweep-error"' in response.text


# --- with the pretrained model and its tokenizer --------------------------------------------


@pytest.fixture
def models_client(migrated: Settings) -> Iterator[TestClient]:
    app = create_app(migrated.model_copy(update={"models_dir": needs.models_dir()}))
    with TestClient(app) as client:
        yield client


def test_text_is_tokenised_and_minilm_is_offered(models_client: TestClient) -> None:
    page = models_client.get("/lab").text
    assert 'name="variants" value="minilm" checked' in page
    assert 'value="text" data-source="text" checked' in page
    form = _compare_form(
        models_client,
        source="text",
        text="The river bank flooded.",
        variants=["distilbert", "minilm"],
    )
    response = models_client.post("/lab", data=form)
    assert response.status_code == 200, _alert(response.text)
    tokens = re.findall(
        r"<li>([^<]+)</li>", response.text[response.text.index('class="lab-tokens"') :]
    )
    assert tokens[:6] == ["[CLS]", "the", "river", "bank", "flooded", "."]
    assert "MiniLM-L6 (pretrained) ran with trained weights" in response.text
    assert "The river bank flooded." in response.text  # the text is kept


# --- the charts' pieces ---------------------------------------------------------------------


def test_parameter_groups_cover_every_part_once_and_sit_in_one_module() -> None:
    drawn = [part for group in charts.PARAMETER_GROUPS for part in group.parts]
    assert sorted(drawn) == sorted(cost.PARAMETER_PARTS) and len(set(drawn)) == len(drawn)
    modules = {
        "embeddings": cost.EMBEDDING_PARTS,
        "encoder": cost.ENCODER_PARTS,
        "pooler": cost.POOLER_PARTS,
    }
    for group in charts.PARAMETER_GROUPS:
        assert set(group.parts) <= set(modules[group.module]), group


def test_every_module_has_a_label() -> None:
    from app.encoders.configs import MODULES

    assert set(charts.MODULE_LABELS) == set(MODULES)


@pytest.mark.parametrize(
    ("value", "formatted"),
    [
        (512, "512"),
        (66_048, "66.0 k"),
        (4_580_000, "4.58 M"),
        (128_100_000, "128 M"),
        (2_300_000_000, "2.30 B"),
    ],
)
def test_counts_read_as_people_say_them(value: int, formatted: str) -> None:
    assert charts.count(value) == formatted


@pytest.mark.parametrize(
    ("ms", "formatted"),
    [(0.1234, "0.123 ms"), (4.837, "4.84 ms"), (12.34, "12.3 ms"), (1234.5, "1,234 ms")],
)
def test_milliseconds_keep_three_figures(ms: float, formatted: str) -> None:
    assert charts.millis(ms) == formatted


def test_flops_pick_their_unit() -> None:
    assert charts.flops(157_286_400) == "157 MFLOP"
    assert charts.flops(22_300_000_000) == "22.3 GFLOP"


def test_a_sweep_of_three_lengths_draws_the_fit_and_its_parts(client: TestClient) -> None:
    form = _sweep_form(client, lengths=["16", "32", "64"])
    response = client.post("/lab/sweep", data=form)
    assert response.status_code == 200, _alert(response.text)
    page = response.text
    svg = page[page.index('id="lab-sweep"') : page.index("</svg>")]
    parts = re.findall(r'data-part="(\w+)"', svg)
    assert parts.count("fit") == 2 and parts.count("linear") == 1 and parts.count("quadratic") == 1
    ticks = [
        (float(n), float(x))
        for x, n in re.findall(r'<text x="([\d.]+)"[^>]*data-n="([\d.]+)"', svg)
    ]
    (n0, x0), (n1, x1) = ticks[0], ticks[1]
    for n, x in ticks:  # evenly spaced in n, not one step per doubling
        assert x - x0 == pytest.approx((x1 - x0) / (n1 - n0) * (n - n0), abs=0.15)
    words = re.findall(r'<ul class="lab-fit-words">(.*?)</ul>', page, re.S)
    assert words and ("at n=64 the n² term is" in words[0] or "finds no n² term" in words[0])
    assert '<th scope="col" class="num">c</th>' in page

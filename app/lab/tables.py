"""A comparison, a sweep and the machine they ran on, laid out for the page's tables and charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.content import ContentIndex
from app.encoders.variants import ARCHITECTURES
from app.lab import charts, sweepchart
from app.lab.results import BASELINE, Compared, Row

__all__ = ["environment_view", "result_view", "sweep_view"]

TOKENS_SHOWN = 64


def _lesson_label(url: str, content: ContentIndex) -> str:
    """'DistilBERT · Speed and accuracy' for '/lessons/distilbert#speed-and-accuracy'."""
    slug, _, anchor = url.removeprefix("/lessons/").partition("#")
    lesson = next((lesson for lesson in content.lessons if lesson.slug == slug), None)
    if lesson is None:
        return url
    heading = next((e.text for e in lesson.toc if e.anchor == anchor), "")
    title = lesson.title.split(":")[0].strip()
    return f"{title} · {heading}" if heading else title


def ratio_view(row: Row) -> dict[str, Any]:
    """The time ratio to BERT as the page shows it: the median of the per-round ratios with its
    p10-p90 range, or "same within noise" (the number kept, small) when the range holds 1."""
    spread = row.latency_spread
    if row.name == BASELINE or spread is None:
        return {"baseline": True, "same": False, "value": charts.ratio(1.0), "range": ""}
    return {
        "baseline": False,
        "same": spread.within_noise,
        "value": charts.ratio(spread.median),
        "range": f"{spread.p10:.2f}{charts.DASH}{spread.p90:.2f}",
    }


def _row_view(row: Row, content: ContentIndex, focus: str) -> dict[str, Any]:
    p, lat = row.cost.parameters, row.measured.latency
    return {
        "name": row.name,
        "title": row.title,
        "pretrained": row.pretrained,
        "params": charts.count(p.total),
        "params_exact": f"{p.total:,}",
        "embedding_share": f"{p.embeddings / p.total:.0%}",
        "flops": charts.flops(row.cost.flops_total),
        "median": charts.millis(lat.median_ms),
        "spread": f"{charts.millis(lat.p10_ms).removesuffix(' ms')}{charts.DASH}{charts.millis(lat.p90_ms)}",
        "gflops_per_s": f"{row.gflops_per_s:.1f}",
        "ratio_params": charts.ratio(row.ratios["params"]),
        "ratio_flops": charts.ratio(row.ratios["flops"]),
        "ratio_latency": charts.ratio(row.ratios["latency"]),
        "time": ratio_view(row),
        "explanation": row.explanation,
        "lesson_url": row.lesson_url,
        "lesson_label": _lesson_label(row.lesson_url, content),
        "focus": row.name == focus,
        "groups": charts.parameter_groups_of(row),
        "modules": row.measured.modules_ms,
        "other_ms": charts.millis(row.measured.other_ms),
        "module_pass_ms": charts.millis(row.measured.module_pass_ms),
    }


def environment_view(env: Mapping[str, Any]) -> list[tuple[str, str]]:
    blas = env.get("blas") or []
    blas_text = "; ".join(
        f"{b.get('library')} {b.get('version')} ({b.get('architecture')}, "
        f"{b.get('threads')} thread{'s' if b.get('threads') != 1 else ''})"
        for b in blas
    )
    return [
        ("CPU", f"{env.get('cpu')} · {env.get('cpu_count')} logical cores"),
        ("numpy", str(env.get("numpy"))),
        ("BLAS", blas_text or "not reported"),
        ("Lab workers", f"{env.get('lab_workers')} (runs at a time)"),
        ("Python", str(env.get("python"))),
    ]


def result_view(result: Compared, content: ContentIndex, focus: str) -> dict[str, Any]:
    rows = list(result.rows)
    params_svg, params_legend = charts.parameters_chart(rows)
    modules_svg, modules_legend = charts.modules_chart(rows)
    lab_input = result.lab_input
    guess = result.prediction
    titles = {r.name: r.title for r in rows}
    return {
        "preset": result.preset.value,
        "runs": result.runs,
        "threads": result.blas_threads,
        "noisy": result.noisy,
        "seq_len": lab_input.seq_len,
        "tokens": list(lab_input.tokens[:TOKENS_SHOWN]) if lab_input.tokens else None,
        "more_tokens": max(0, lab_input.seq_len - TOKENS_SHOWN) if lab_input.tokens else 0,
        "truncated": lab_input.truncated,
        "tokenizers": [(titles[r.name], ARCHITECTURES[r.name].tokenizer) for r in rows],
        "rows": [_row_view(r, content, focus) for r in rows],
        "groups": charts.groups_present(rows),
        "modules": charts.modules_of(rows),
        "module_labels": charts.MODULE_LABELS,
        "other_label": charts.OTHER_LABEL,
        "count": charts.count,
        "millis": charts.millis,
        "params_svg": params_svg,
        "params_legend": params_legend,
        "latency_svg": charts.latency_chart(rows),
        "modules_svg": modules_svg,
        "modules_legend": modules_legend,
        "prediction": {
            "message": guess.message,
            "exact_all": guess.pairs_right == guess.pairs,
            "predicted": [
                (titles[n], n == m) for n, m in zip(guess.predicted, guess.measured, strict=True)
            ],
            "measured": [titles[n] for n in guess.measured],
        }
        if guess
        else None,
        "pretrained": [r.title for r in rows if r.pretrained],
    }


def sweep_view(results: Sequence[Compared]) -> dict[str, Any]:
    svg, key = sweepchart.sweep_chart(results)
    titles = {r.name: r.title for r in results[0].rows}
    lengths = [c.lab_input.seq_len for c in results]
    fits = sweepchart.fits_of(results)
    table = [
        {
            "title": titles[name],
            "values": [charts.millis(ms) for ms in values],
            "fit": _fit_view(fits[name], lengths[-1]),
        }
        for name, values in sweepchart.sweep_series(results).items()
    ]
    return {
        "preset": results[0].preset.value,
        "runs": results[0].runs,
        "lengths": lengths,
        "svg": svg,
        "legend": key,
        "table": table,
        "fitted": any(f is not None for f in fits.values()),
        "longest": lengths[-1],
    }


def _fit_view(fit: sweepchart.Fit | None, n: int) -> dict[str, str] | None:
    if fit is None:
        return None
    return {
        "a": f"{fit.a:.3g} ms",
        "b": f"{fit.b * 1000:.3g} µs",
        "c": f"{fit.c * 1e6:.3g} ns",
        "sentence": fit.sentence(n),
    }

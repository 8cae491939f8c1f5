"""DeBERTa-v3's relative positions in plain Python: the log buckets and the table rows they reach.

No numpy here: the cost model counts rows with this module, and both DeBERTa forward passes
(``reference_deberta``, ``deberta``) build their index arrays from ``bucket``.

Hugging Face's ``make_log_bucket_position``: a relative position i - j within +-mid (mid = k/2,
k = ``position_buckets`` = 256) keeps its own bucket; beyond, positions share log-spaced buckets,
``sign(d) (mid + ceil(log(|d| / mid) / log((max_position - 1) / mid) (mid - 1)))``, so distances
up to ``max_relative_positions`` (512) land in [-(k - 1), k - 1]. torch computes that in float32;
``_f32`` rounds each step as it does, so ``ceil`` lands on the same integer.
"""

from __future__ import annotations

import math
import struct

from app.encoders.configs import EncoderConfig

__all__ = [
    "bucket",
    "log_bucket",
    "max_relative_positions",
    "reachable_range",
    "reachable_relative_rows",
]


def _f32(x: float) -> float:
    """``x`` rounded to the nearest float32."""
    rounded: float = struct.unpack("f", struct.pack("f", x))[0]
    return rounded


def log_bucket(distance: int, bucket_size: int, max_position: int) -> int:
    """The bucket of one relative position ``distance`` = i - j (an odd, monotonic function)."""
    mid = bucket_size // 2
    if abs(distance) <= mid:
        return distance
    ratio = _f32(abs(distance) / mid)  # |d| / mid, > 1
    denominator = _f32(math.log(_f32((max_position - 1) / mid)))
    scaled = _f32(_f32(_f32(math.log(ratio)) / denominator) * (mid - 1))
    far = math.ceil(scaled) + mid
    return far if distance > 0 else -far


def max_relative_positions(config: EncoderConfig) -> int:
    """Hugging Face's max_relative_positions: below 1 means max_position_embeddings."""
    if config.max_relative_positions < 1:
        return config.max_position_embeddings
    return config.max_relative_positions


def bucket(distance: int, config: EncoderConfig) -> int:
    """The relative position i - j as the model indexes it: log-bucketed, or as is without buckets."""
    if config.position_buckets > 0:
        return log_bucket(distance, config.position_buckets, max_relative_positions(config))
    return distance


def reachable_range(seq_len: int, config: EncoderConfig) -> tuple[int, int]:
    """[lo, hi) of the relative table rows that c2p and p2c index for ``seq_len`` tokens.

    Row clamp(bucket(i - j) + k, 0, 2k - 1) is read for i - j in [-(n - 1), n - 1]; the bucket
    function is odd and monotonic, so that is rows [k - b, k + b], b = bucket(n - 1), clipped.
    """
    span = config.relative_span  # k
    furthest = bucket(max(seq_len, 1) - 1, config)  # b
    return max(0, span - furthest), min(2 * span, span + furthest + 1)


def reachable_relative_rows(seq_len: int, config: EncoderConfig) -> int:
    """How many relative-table rows the fast DeBERTa projects for a sequence of ``seq_len``.

    2n - 1 rows while n - 1 <= k/2, at most 2k (v3: 63 rows at n = 32, 255 at 128, 511 at 512).
    """
    lo, hi = reachable_range(seq_len, config)
    return hi - lo

"""The cost model's formulas: parameters and matmul FLOPs of each part, as plain integers.

One formula per thing, named as the lessons' calculated questions quote them (``layer_params``,
``attention_flops`` ...); ``cost`` builds a configuration's counts from them. FLOPs count matrix
multiplications only, 1 multiply-add = 2 FLOPs.
"""

from __future__ import annotations

__all__ = [
    "albert_embedding_params",
    "attention_flops",
    "attention_params",
    "bert_embedding_params",
    "embedding_projection_flops",
    "embedding_table_params",
    "feed_forward_params",
    "ffn_flops",
    "layer_norm_params",
    "layer_params",
    "linear_flops",
    "linear_params",
    "pooler_flops",
    "pooler_params",
    "projection_flops",
    "relative_attention_flops",
    "relative_projection_flops",
    "relative_table_params",
]


# --- Parameter formulas -------------------------------------------------------------------------


def linear_params(d_in: int, d_out: int) -> int:
    """A dense layer with bias: d_in * d_out + d_out."""
    return d_in * d_out + d_out


def layer_norm_params(width: int) -> int:
    """A layer norm's weight and bias: 2 * width."""
    return 2 * width


def embedding_table_params(rows: int, width: int) -> int:
    """A lookup table: rows * width."""
    return rows * width


def bert_embedding_params(V: int, P: int, T: int, H: int) -> int:
    """Word, position and token type tables of width H plus their layer norm: (V + P + T)H + 2H.

    DistilBERT is T = 0; DeBERTa-v3 is P = T = 0; ALBERT's embeddings are this with H = E.
    """
    tables = sum(embedding_table_params(rows, H) for rows in (V, P, T))
    return tables + layer_norm_params(H)


def albert_embedding_params(V: int, E: int, H: int) -> int:
    """ALBERT's factorised word embedding: a V x E table then an E -> H projection, VE + EH + H.

    Compare ``embedding_table_params(V, H)`` = VH for the unfactorised table.
    """
    return embedding_table_params(V, E) + linear_params(E, H)


def attention_params(H: int) -> int:
    """Q, K, V and output projections of one layer: 4(H^2 + H)."""
    return 4 * linear_params(H, H)


def feed_forward_params(H: int, I: int) -> int:  # noqa: E741
    """Intermediate and output projections of one layer: (HI + I) + (IH + H)."""
    return linear_params(H, I) + linear_params(I, H)


def layer_params(H: int, I: int) -> int:  # noqa: E741
    """One transformer layer: attention, feed-forward and two layer norms, 4H^2 + 2HI + 9H + I."""
    return attention_params(H) + feed_forward_params(H, I) + 2 * layer_norm_params(H)


def relative_table_params(k: int, H: int) -> int:
    """DeBERTa's relative position table, 2k rows of width H (k = relative span): 2kH."""
    return embedding_table_params(2 * k, H)


def pooler_params(H: int) -> int:
    """The pooler's dense layer on the first token: H^2 + H."""
    return linear_params(H, H)


# --- FLOP formulas (1 multiply-add = 2 FLOPs) ---------------------------------------------------


def linear_flops(rows: int, d_in: int, d_out: int) -> int:
    """[rows, d_in] @ [d_in, d_out]: 2 * rows * d_in * d_out."""
    return 2 * rows * d_in * d_out


def projection_flops(n: int, H: int) -> int:
    """Q, K, V and output projections of n tokens in one layer: 4 * 2nH^2 = 8nH^2."""
    return 4 * linear_flops(n, H, H)


def attention_flops(n: int, H: int) -> int:
    """Scores Q K^T and context weights V over all heads in one layer: 2 * 2n^2H = 4n^2H."""
    return 2 * linear_flops(n, H, n)


def ffn_flops(n: int, H: int, I: int) -> int:  # noqa: E741
    """Intermediate and output projections of n tokens in one layer: 2nHI + 2nIH = 4nHI."""
    return linear_flops(n, H, I) + linear_flops(n, I, H)


def embedding_projection_flops(n: int, E: int, H: int) -> int:
    """ALBERT's E -> H projection of n tokens, once per forward pass: 2nEH."""
    return linear_flops(n, E, H)


def relative_projection_flops(rows: int, H: int) -> int:
    """DeBERTa: ``rows`` relative rows through the query and key projections: 4rH^2 per layer,
    once per forward pass whatever the batch (the rows do not depend on the input)."""
    return 2 * linear_flops(rows, H, H)


def relative_attention_flops(n: int, rows: int, H: int) -> int:
    """DeBERTa: c2p (Q pos_K^T) and p2c (K pos_Q^T) against ``rows`` rows, per layer: 4nrH."""
    return 2 * linear_flops(n, H, rows)


def pooler_flops(H: int) -> int:
    """The pooler's dense layer on one sequence's first token: 2H^2."""
    return linear_flops(1, H, H)

"""Int8 weights for a BERT-style encoder: symmetric, one scale per output channel (per row).

Each linear matrix ``W`` ([out, in], PyTorch's layout) becomes int8 values ``q`` and one float32
scale per row, ``s = max|W_row| / 127``, with ``q = round(W / s)`` clipped to [-127, 127]; the
matrix it stands for is ``q * s``. The biases stay float32 (they are tiny and their error would
add to every output), and so do the embedding tables and layer norms: only the four matrices of
each layer (Q/K/V, attention output, feed-forward in and out) are quantized, which is where a
BERT's encoder weights are.

numpy has no int8 matrix product that uses BLAS, so an int8 model here runs by turning its int8
weights back into float32 (``dequantized``) and multiplying as usual: the weights take a quarter of
the memory at rest, and the arithmetic, hence the speed, is float32's. Int8 is faster only with
int8 kernels (VNNI on x86 CPUs, Tensor Cores on GPUs), which quantize the activations too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from app.encoders.bert_weights import LayerWeights, Weights
from app.encoders.ops import Array

__all__ = [
    "LAYER_MATRICES",
    "Int8Rows",
    "QuantizedLayer",
    "QuantizedWeights",
    "dequantize",
    "dequantized",
    "quantize",
    "quantize_rows",
]

LAYER_MATRICES = ("qkv", "attention_output", "intermediate", "output")


@dataclass(frozen=True, slots=True)
class Int8Rows:
    """A matrix [out, in] as int8 values and one float32 scale per row."""

    values: NDArray[np.int8]  # [out, in]
    scales: Array  # [out]

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes + self.scales.nbytes)


def quantize_rows(matrix: Array) -> Int8Rows:
    """Symmetric per-row int8: scale = max |row| / 127 (1 for an all-zero row)."""
    peak = np.abs(matrix).max(axis=1)  # [out]
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    values = np.clip(np.rint(matrix / scales[:, None]), -127, 127).astype(np.int8)
    return Int8Rows(values=values, scales=scales)


def dequantize(rows: Int8Rows) -> Array:
    """The float32 matrix the int8 rows stand for: values * scale, row by row."""
    return np.asarray(rows.values.astype(np.float32) * rows.scales[:, None], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class QuantizedLayer:
    """One layer's four matrices in int8 (without their bias columns) and the float32 biases."""

    matrices: dict[str, Int8Rows]
    biases: dict[str, Array]  # the [out] bias column of each matrix


@dataclass(frozen=True, slots=True)
class QuantizedWeights:
    """A BERT whose encoder matrices are int8; the rest is the float32 model's, shared."""

    base: Weights
    layers: tuple[QuantizedLayer, ...]

    @property
    def int8_bytes(self) -> int:
        """The quantized matrices as stored: int8 values plus one float32 scale per row."""
        return sum(rows.nbytes for layer in self.layers for rows in layer.matrices.values())

    @property
    def float32_bytes(self) -> int:
        """The same matrices (without their biases) in float32."""
        return sum(
            rows.values.size * 4 for layer in self.layers for rows in layer.matrices.values()
        )


def quantize(weights: Weights) -> QuantizedWeights:
    """Quantize every layer's four matrices per output channel; biases kept in float32."""
    layers = []
    for layer in weights.layers:
        matrices, biases = {}, {}
        for name in LAYER_MATRICES:
            with_bias: Array = getattr(layer, name)  # [out, in + 1]: the bias is the last column
            matrices[name] = quantize_rows(with_bias[:, :-1])
            biases[name] = with_bias[:, -1].copy()
        layers.append(QuantizedLayer(matrices=matrices, biases=biases))
    return QuantizedWeights(base=weights, layers=tuple(layers))


def _layer(original: LayerWeights, quantized: QuantizedLayer) -> LayerWeights:
    parts = {
        name: np.ascontiguousarray(
            np.concatenate(
                [dequantize(quantized.matrices[name]), quantized.biases[name][:, None]], axis=1
            ),
            dtype=np.float32,
        )
        for name in LAYER_MATRICES
    }
    return replace(original, **parts)


def dequantized(quantized: QuantizedWeights) -> Weights:
    """Float32 weights rebuilt from the int8 ones: what the encoder multiplies by, here."""
    layers = tuple(
        _layer(original, layer)
        for original, layer in zip(quantized.base.layers, quantized.layers, strict=True)
    )
    return replace(quantized.base, layers=layers)

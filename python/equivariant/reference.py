"""A NumPy forward pass of an eqr model, built from its checkpoint alone (the `architecture`
metadata and the tensors): no library, no compiler. It is slow (plain NumPy) and meant as
an executable statement of what the layers compute, and as a check that the description is
complete: it reproduces the library's features and renders (see the test in
Tests/EqrTests/ExamplesTests.swift).

    from equivariant.reference import ReferenceModel
    model = ReferenceModel("aligned-wide-64.safetensors")
    x = frame.transpose(2, 0, 1)[None] / 255.0      # [1, 3, R, R] RGB in [0, 1]
    c, b = model.encode_character(x), model.encode_background(y)
    image = model.render(c, b, theta=None)             # [1, 3, R, R] in (0, 1)

Feature maps are lists of levels (coarse first, then the fine level of a two-level model).
"""

import numpy as np

from .checkpoint import architecture, read

__all__ = ["ReferenceModel", "run_layers", "warp"]


def _conv2d(x, weight, bias, stride, padding):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k = weight.shape[2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,ocij->nohw", windows, weight, optimize=True) + bias[None, :, None, None]


def _group_norm(x, groups, scale, shift, eps):
    n, c, h, w = x.shape
    grouped = x.reshape(n, groups, -1).astype(np.float64)
    mean = grouped.mean(axis=2, keepdims=True)
    variance = grouped.var(axis=2, keepdims=True)
    normalised = ((grouped - mean) / np.sqrt(variance + eps)).reshape(n, c, h, w)
    return (normalised * scale[None, :, None, None] + shift[None, :, None, None]).astype(np.float32)


def _leaky(x, slope):
    return np.where(x >= 0, x, slope * x)


def _double(x, axis, mode):
    if mode == "nearest":
        return np.repeat(x, 2, axis=axis)
    # Bilinear with pixel centres (align_corners=False): 2j reads j-1, j (1/4, 3/4); 2j+1 reads j, j+1.
    n = x.shape[axis]
    before = np.take(x, np.clip(np.arange(n) - 1, 0, n - 1), axis=axis)
    after = np.take(x, np.clip(np.arange(n) + 1, 0, n - 1), axis=axis)
    even, odd = 0.25 * before + 0.75 * x, 0.75 * x + 0.25 * after
    stacked = np.stack([even, odd], axis=axis + 1)
    shape = list(x.shape)
    shape[axis] = 2 * n
    return stacked.reshape(shape)


def run_layers(layers, x, tensors):
    """Applies a list of layer descriptions (see LayerDescription in the Swift sources) to x."""
    for layer in layers:
        op, s, name = layer["op"], layer.get("settings", {}), layer.get("name")
        if op == "conv2d":
            x = _conv2d(x, tensors[name + ".weight"], tensors[name + ".bias"], int(s["stride"]), int(s["padding"]))
        elif op == "group_norm":
            x = _group_norm(x, int(s["groups"]), tensors[name + ".scale"], tensors[name + ".shift"], s["eps"])
            if "leaky_relu" in s:
                x = _leaky(x, s["leaky_relu"])
        elif op == "dense":
            x = x.reshape(x.shape[0], -1) @ tensors[name + ".weight"].T + tensors[name + ".bias"]
        elif op == "leaky_relu":
            x = _leaky(x, s["slope"])
        elif op == "relu":
            x = np.maximum(x, 0)
        elif op == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif op == "upsample2x":
            x = _double(_double(x, 2, layer["mode"]), 3, layer["mode"])
        elif op == "bounded_affine":
            t = np.tanh(x)
            x = t * np.array([s["linear"], s["linear"], s["translation"]] * 2) + np.array([1, 0, 0, 0, 1, 0])
        elif op == "residual":
            x = x + run_layers(layer["layers"], x, tensors)
        elif op == "sequential":
            x = run_layers(layer["layers"], x, tensors)
        else:
            raise ValueError(f"unknown layer op {op!r}")
    return x.astype(np.float32)


def warp(x, theta):
    """grid_sample(x, affine_grid(θ), bilinear, zeros, align_corners=False): θ [N, 6] maps an
    output location to the input location it samples, in normalised coordinates."""
    n, c, h, w = x.shape
    ys, xs = np.meshgrid((2 * np.arange(h) + 1) / h - 1, (2 * np.arange(w) + 1) / w - 1, indexing="ij")
    out = np.zeros_like(x)
    for k in range(n):
        t = np.asarray(theta[k], dtype=np.float64)
        px = ((t[0] * xs + t[1] * ys + t[2] + 1) * w - 1) / 2
        py = ((t[3] * xs + t[4] * ys + t[5] + 1) * h - 1) / 2
        x0, y0 = np.floor(px).astype(int), np.floor(py).astype(int)
        a, b = px - x0, py - y0
        for dy, dx, weight in [(0, 0, (1 - a) * (1 - b)), (0, 1, a * (1 - b)), (1, 0, (1 - a) * b), (1, 1, a * b)]:
            yy, xx = y0 + dy, x0 + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            values = x[k][:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
            out[k] += (values * (weight * inside)).astype(x.dtype)
    return out


class ReferenceModel:
    """f, h, g, the coverage head and T^z of a checkpoint, in NumPy."""

    def __init__(self, path):
        metadata, self.tensors = read(path)
        self.architecture = architecture(metadata)
        self.resolution = self.architecture["input"]["size"]
        self.layered = self.architecture.get("coverage") is not None

    def _encode(self, which, frames):
        e = self.architecture[which]
        early = run_layers(e["stem"], np.asarray(frames, np.float32), self.tensors)
        levels = [run_layers(e["body"], early, self.tensors)]
        if e.get("fine_head"):
            levels.append(run_layers([e["fine_head"]], early, self.tensors))
        return levels

    def encode_character(self, frames):
        """f(x): frames [N, 3, R, R] RGB in [0, 1] → feature levels."""
        return self._encode("f", frames)

    def encode_background(self, frames):
        """h(x): frames → feature levels."""
        return self._encode("h", frames)

    def _decode(self, which, levels):
        d = self.architecture[which]
        joined = run_layers(d["coarse"], levels[0], self.tensors)
        if len(levels) > 1:
            joined = joined + levels[1]
        return run_layers(d["tail"], joined, self.tensors)

    def render(self, character, background, theta=None):
        """The frame drawn from character features moved by θ [N, 6] (None: identity) and
        background features: g(c + b), or α(c)·g(c + b) + (1 − α(c))·g(b) when layered."""
        if theta is not None:
            character = [warp(level, theta) for level in character]
        full = self._decode("g", [c + b for c, b in zip(character, background)])
        if not self.layered:
            return full
        alpha = self._decode("coverage", character)
        return alpha * full + (1 - alpha) * self._decode("g", background)

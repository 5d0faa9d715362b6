"""Rebuilds an eqr model in PyTorch from its checkpoint alone, and swaps a character onto
a new background with it.

    python3 torch_from_checkpoint.py MODEL.safetensors CHARACTER.png BACKGROUND.png OUT.png

Needs torch and numpy (not the eqr library): the layers come from the file's `architecture`
metadata (`eqr info --architecture MODEL` prints it), the weights from its tensors, both read
by python/equivariant/checkpoint.py (found next to this repository's examples, or installed
with `pip install ./python`). Images are read and written with ffmpeg, scaled to the model's
side. What it prints: the weighted layers per network, the output path and, when
libequivariant can be loaded (EQR_LIBRARY or the linker's path), the largest difference
between this swap and the library's rendering of the same frames.
"""

import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import equivariant  # noqa: E402  (only for the optional comparison with the library)
from equivariant.checkpoint import architecture, read  # noqa: E402


class GroupNormLeaky(nn.Module):
    """GroupNorm, then the leaky ReLU eqr fuses into it (when the description has one)."""

    def __init__(self, groups, channels, eps, slope):
        super().__init__()
        self.norm, self.slope = nn.GroupNorm(groups, channels, eps=eps), slope

    def forward(self, x):
        x = self.norm(x)
        return x if self.slope is None else F.leaky_relu(x, self.slope)


class Residual(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class Lambda(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)


def build(layers, tensors):
    """nn.Sequential of layer descriptions, with the checkpoint's weights loaded."""
    modules = []
    for layer in layers:
        op, s, name = layer["op"], layer.get("settings", {}), layer.get("name")
        if op == "conv2d":
            m = nn.Conv2d(int(s["in"]), int(s["out"]), int(s["kernel"]), int(s["stride"]), int(s["padding"]))
            m.weight.data, m.bias.data = torch.from_numpy(tensors[name + ".weight"]), torch.from_numpy(tensors[name + ".bias"])
        elif op == "group_norm":
            m = GroupNormLeaky(int(s["groups"]), int(s["channels"]), s["eps"], s.get("leaky_relu"))
            m.norm.weight.data, m.norm.bias.data = torch.from_numpy(tensors[name + ".scale"]), torch.from_numpy(tensors[name + ".shift"])
        elif op == "leaky_relu":
            m = nn.LeakyReLU(s["slope"])
        elif op == "relu":
            m = nn.ReLU()
        elif op == "sigmoid":
            m = nn.Sigmoid()
        elif op == "upsample2x":
            m = nn.Upsample(scale_factor=2, mode=layer["mode"], **({"align_corners": False} if layer["mode"] == "bilinear" else {}))
        elif op == "residual":
            m = Residual(build(layer["layers"], tensors))
        elif op == "dense":
            m = nn.Linear(int(s["in"]), int(s["out"]))
            m.weight.data, m.bias.data = torch.from_numpy(tensors[name + ".weight"]), torch.from_numpy(tensors[name + ".bias"])
        elif op == "bounded_affine":
            bounds = torch.tensor([s["linear"], s["linear"], s["translation"]] * 2)
            m = Lambda(lambda u, bounds=bounds: torch.tanh(u) * bounds + torch.tensor([1.0, 0, 0, 0, 1, 0]))
        else:
            raise ValueError(f"unknown layer op {op!r}")
        modules.append(m)
    return nn.Sequential(*modules)


class Encoder(nn.Module):
    """f or h: [coarse] or [coarse, fine] feature levels."""

    def __init__(self, description, tensors):
        super().__init__()
        self.stem, self.body = build(description["stem"], tensors), build(description["body"], tensors)
        self.fine = build([description["fine_head"]], tensors) if description.get("fine_head") else None

    def forward(self, x):
        early = self.stem(x)
        return [self.body(early)] + ([self.fine(early)] if self.fine is not None else [])


class Decoder(nn.Module):
    """g or the coverage head: tail(coarse(levels[0]) + levels[1])."""

    def __init__(self, description, tensors):
        super().__init__()
        self.coarse, self.tail = build(description["coarse"], tensors), build(description["tail"], tensors)

    def forward(self, levels):
        joined = self.coarse(levels[0])
        return self.tail(joined + levels[1] if len(levels) > 1 else joined)


class EquivariantModel(nn.Module):
    """f, h, g, the coverage head (layered models) and T^z, rebuilt from a checkpoint."""

    def __init__(self, path):
        super().__init__()
        metadata, tensors = read(path)
        self.description = architecture(metadata)
        self.resolution = self.description["input"]["size"]
        self.f, self.h = Encoder(self.description["f"], tensors), Encoder(self.description["h"], tensors)
        self.g = Decoder(self.description["g"], tensors)
        self.coverage = Decoder(self.description["coverage"], tensors) if self.description.get("coverage") else None

    @staticmethod
    def warp(levels, theta):
        """T^z: every level sampled through θ [N, 2, 3] (bilinear, zeros, align_corners=False)."""
        return [F.grid_sample(x, F.affine_grid(theta, list(x.shape), align_corners=False), mode="bilinear",
                              padding_mode="zeros", align_corners=False) for x in levels]

    def render(self, character, background, theta=None):
        c = self.warp(character, theta) if theta is not None else character
        full = self.g([a + b for a, b in zip(c, background)])
        if self.coverage is None:
            return full
        alpha = self.coverage(c)
        return alpha * full + (1 - alpha) * self.g(background)

    def swap(self, character_frames, background_frames):
        """The character of one set of frames drawn over the background of another."""
        return self.render(self.f(character_frames), self.h(background_frames))


def read_image(path, side):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", f"scale={side}:{side}", "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return torch.from_numpy(np.frombuffer(raw, np.uint8).reshape(side, side, 3).copy()).permute(2, 0, 1)[None].float() / 255


def write_image(tensor, path):
    pixels = (tensor[0].permute(1, 2, 0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    side = pixels.shape[0]
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{side}x{side}", "-i", "-",
                    "-frames:v", "1", path], input=pixels.tobytes(), check=True)


def compare_with_library(model_path, character, background, swapped):
    """The largest difference (in 1/255 steps) between this swap and libequivariant's
    eqr_render of the same frames, or None when the library cannot be loaded."""
    try:
        equivariant.load_library()
    except equivariant.EquivariantError:
        return None
    to_uint8 = lambda t: (t[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    with equivariant.Model(model_path) as library_model, library_model.context() as context:
        a, b = to_uint8(character), to_uint8(background)
        theirs = context.render(context.encode_character(a), context.encode_background(b))
    mine = (swapped[0].permute(1, 2, 0).clamp(0, 1) * 255).round().numpy()
    return float(np.abs(mine - theirs).max())


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    model_path, character, background, out = sys.argv[1:]
    model = EquivariantModel(model_path).eval()
    with torch.no_grad():
        side = model.resolution
        character_frames, background_frames = read_image(character, side), read_image(background, side)
        swapped = model.swap(character_frames, background_frames)
    write_image(swapped, out)
    networks = [("f", model.f), ("h", model.h), ("g", model.g)] + ([("coverage", model.coverage)] if model.coverage else [])
    counts = {name: sum(isinstance(m, (nn.Conv2d, nn.GroupNorm, nn.Linear)) for m in module.modules()) for name, module in networks}
    print(f"rebuilt {model_path} in PyTorch ({side}x{side}; weighted layers per network: {counts}); wrote {out}")
    difference = compare_with_library(model_path, character_frames, background_frames, swapped)
    if difference is not None:
        print(f"against libequivariant's rendering of the same frames: largest difference {difference:.0f}/255")


if __name__ == "__main__":
    main()

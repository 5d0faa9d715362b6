#!/usr/bin/env python3
"""A PyTorch mirror of eqr's shipped training step, for `eqr bench train --peer-python`.

The same network as `eqr train --variant features` (64×64 default): encoders f and h
(conv3×3 3→B · GN · LReLU · conv3×3/2 B→C · GN · LReLU · conv3×3/2 C→C · GN · LReLU ·
conv3×3 C→C), renderer g (conv C→C · GN · LReLU · up×2 bilinear · conv C→B · GN · LReLU ·
up×2 · conv B→3 · sigmoid), the `features` T^z predictor with the bounded output
(conv3×3/2 2C→64 · LReLU · dense → 64 · LReLU · dense → 6 · [I + 0.5·tanh | tanh]), and the
same step: f and h on [x; x'], θ from (f(x), f(x')), the warp (affine_grid / grid_sample,
zero padding, align_corners=False: eqr's convention), g on [T(f(x)) + h(x); f(x) + h(x)],
scene + reconstruction MSE, the normalised equivariance and the invariance loss (×0.1 each),
Adam at 2e-3 (the predictor at 5 %). Prints one JSON object with pairs/s and the parameter
count (eqr checks that it matches its own). Not run in CI: it needs `pip install torch`.
"""
import argparse, json, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def encoder(b, c, g):
    return nn.Sequential(
        nn.Conv2d(3, b, 3, 1, 1), nn.GroupNorm(g, b), nn.LeakyReLU(0.2),
        nn.Conv2d(b, c, 3, 2, 1), nn.GroupNorm(g, c), nn.LeakyReLU(0.2),
        nn.Conv2d(c, c, 3, 2, 1), nn.GroupNorm(g, c), nn.LeakyReLU(0.2),
        nn.Conv2d(c, c, 3, 1, 1))


def renderer(b, c, g):
    return nn.Sequential(
        nn.Conv2d(c, c, 3, 1, 1), nn.GroupNorm(g, c), nn.LeakyReLU(0.2),
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        nn.Conv2d(c, b, 3, 1, 1), nn.GroupNorm(g, b), nn.LeakyReLU(0.2),
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        nn.Conv2d(b, 3, 3, 1, 1), nn.Sigmoid())


class Predictor(nn.Module):
    def __init__(self, c, size):
        super().__init__()
        self.conv = nn.Conv2d(2 * c, 64, 3, 2, 1)
        side = (size + 1) // 2
        self.dense1 = nn.Linear(64 * side * side, 64)
        self.dense2 = nn.Linear(64, 6)
        nn.init.zeros_(self.dense2.weight)
        nn.init.zeros_(self.dense2.bias)
        self.register_buffer("identity", torch.tensor([1., 0, 0, 0, 1, 0]))
        self.register_buffer("bound", torch.tensor([.5, .5, 1, .5, .5, 1]))

    def forward(self, a, b):
        h = F.leaky_relu(self.conv(torch.cat([a, b], 1)), 0.2).flatten(1)
        u = self.dense2(F.leaky_relu(self.dense1(h), 0.2))
        return self.identity + self.bound * torch.tanh(u)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    r, b, c, g = args.resolution, 32, 64, 8
    f, h, gen, pred = encoder(b, c, g), encoder(b, c, g), renderer(b, c, g), Predictor(c, r // 4)
    main_params = list(f.parameters()) + list(h.parameters()) + list(gen.parameters())
    opt = torch.optim.Adam([{"params": main_params, "lr": 2e-3}, {"params": pred.parameters(), "lr": 2e-3 * 0.05}])
    count = sum(p.numel() for p in main_params) + sum(p.numel() for p in pred.parameters())
    # Pairs: a random frame and the same frame shifted by a pixel (the data does not matter to the speed).
    x = torch.rand(args.batch, 3, r, r)
    xn = torch.roll(x, 1, dims=3)

    def step():
        n = x.shape[0]
        feats = f(torch.cat([x, xn]))
        backs = h(torch.cat([x, xn]))
        fx, fn, hx, hn = feats[:n], feats[n:], backs[:n], backs[n:]
        theta = pred(fx, fn).view(n, 2, 3)
        grid = F.affine_grid(theta, fx.shape, align_corners=False)
        warped = F.grid_sample(fx, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        out = gen(torch.cat([warped + hx, fx + hx]))
        scene = F.mse_loss(out[:n], xn)
        recon = F.mse_loss(out[n:], x)
        equiv = F.mse_loss(warped, fn) / (fn.pow(2).mean() + 1e-4)
        inv = F.mse_loss(hn, hx)
        loss = scene + recon + 0.1 * equiv + 0.1 * inv
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"framework": f"torch {torch.__version__}", "threads": args.threads, "parameters": count,
                      "steps": args.steps, "batch": args.batch, "resolution": r,
                      "pairs_per_second": args.steps * args.batch / seconds}))


if __name__ == "__main__":
    main()

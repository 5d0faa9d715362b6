#!/usr/bin/env python3
"""What each step of eqr's full-resolution composite buys, on the independent photo benchmark.

A NumPy re-statement of the steps of Sources/Retargeting (BackgroundPlate, CharacterMatte,
LayerCompositor), used to design them and to measure each one alone on the scenes of
../shared/bench/swap_benchmark.py (same scenes, same seed, exact ground truth). It is not the
shipped code: eqr's own figures come from examples/bench/swap_ablation.sh.

usage: composite_ablation.py --photos DIR [--res 128] [--bench ../shared/bench/swap_benchmark.py]
Needs numpy and scipy (Debian: python3-numpy python3-scipy) and ffmpeg.
"""
import argparse, glob, importlib.util, os
import numpy as np
from scipy import ndimage as ndi

def box(x, r):
    return ndi.uniform_filter(x, size=(2 * r + 1, 2 * r + 1), mode="nearest")

def guided(guide, p, r, eps=1e-4):
    mi, mp = box(guide, r), box(p, r)
    a = (box(guide * p, r) - mi * mp) / (box(guide * guide, r) - mi * mi + eps)
    b = mp - a * mi
    return box(a, r) * guide + box(b, r)

def consensus_plate(frames, tol=6 / 255):
    """Per pixel, the colour most frames repeat within tol, averaged over them."""
    best = np.zeros(frames.shape[1:3])
    plate = np.median(frames, 0)
    for i in range(len(frames)):
        close = np.abs(frames - frames[i]).max(3) <= tol
        count = close.sum(0)
        mean = (frames * close[..., None]).sum(0) / count[..., None]
        better = count > best
        best = np.where(better, count, best)
        plate = np.where(better[..., None], mean, plate)
    return plate

def mask(frames, plate, hysteresis, cleanup, strong=0.08, weak=0.05):
    d = np.abs(frames - plate).max(3)
    out = []
    for dd in d:
        m = dd > strong
        if hysteresis:
            labels, _ = ndi.label(dd > weak)
            keep = np.unique(labels[m])
            m = np.isin(labels, keep[keep > 0])
        if cleanup:
            m = ndi.binary_fill_holes(ndi.binary_opening(m, iterations=1))
        out.append(m)
    return np.array(out, np.float32)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", required=True)
    ap.add_argument("--res", type=int, default=128)
    ap.add_argument("--scenes", type=int, default=6)
    ap.add_argument("--bench", default=os.path.join(os.path.dirname(__file__), "../../../shared/bench/swap_benchmark.py"))
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("swap_benchmark", args.bench)
    sb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sb)
    paths = sorted(p for p in glob.glob(os.path.join(args.photos, "*")) if p.lower().endswith((".png", ".jpg", ".jpeg")))
    photos = [sb.load_image(p, args.res) for p in paths]
    radius = max(1, round(args.res / 64))
    rows = {}
    for i in range(args.scenes):
        frames, new_bg, truth = sb.make_scene(photos, args.res, 48, 1234 + i)
        grey = frames.mean(3)
        median = np.median(frames, 0)
        consensus = consensus_plate(frames)
        def soft(m):
            return np.clip(np.array([guided(grey[k], m[k], radius) for k in range(len(m))]), 0, 1)
        def over(alpha, plate):
            return np.clip(frames + (1 - alpha[..., None]) * (new_bg - plate), 0, 1)
        hard = mask(frames, median, False, False)
        variants = {
            "classical (median plate, hard mask, paste x inside)": frames * hard[..., None] + new_bg * (1 - hard[..., None]),
            "+ x + (1 - a)(B - P) instead of pasting": over(hard, median),
            "+ opening and hole filling": over(mask(frames, median, False, True), median),
            "+ guided-filter edges": over(soft(mask(frames, median, False, True)), median),
            "+ consensus plate instead of the median": over(soft(mask(frames, consensus, False, True)), consensus),
            "+ hysteresis (eqr's composite)": over(soft(mask(frames, consensus, True, True)), consensus),
        }
        for name, image in variants.items():
            rows.setdefault(name, []).append(sb.psnr(image, truth))
    print(f"| step ({args.res}x{args.res}, {args.scenes} scenes) | swap dB | per scene |")
    print("|---|---|---|")
    for name, values in rows.items():
        print(f"| {name} | {np.mean(values):.2f} | {' '.join(f'{v:.1f}' for v in values)} |")

if __name__ == "__main__":
    main()

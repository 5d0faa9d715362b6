#!/usr/bin/env bash
# The independent photo benchmark (../shared/bench/swap_benchmark.py) on eqr's render modes,
# one row per configuration, at one output size. Prints a markdown table.
#
# usage: examples/bench/swap_ablation.sh PHOTOS_DIR [RES] [MODEL]
#   PHOTOS_DIR  photos the model never saw (png/jpg, at least 3)
#   RES         output side in pixels (default 128)
#   MODEL       checkpoint (default examples/models/features-64.safetensors)
# Needs python3 with numpy, ffmpeg, and eqr on PATH (swift build -c release).
# SWAP_BENCHMARK (the script's path) and SWAP_BENCHMARK_ARGS (more of its options, e.g.
# "--scenes 1 --frames 8" for a quick run) override the defaults.
set -euo pipefail
photos=${1:?usage: swap_ablation.sh PHOTOS_DIR [RES] [MODEL]}
res=${2:-128}
model=${3:-examples/models/features-64.safetensors}
here=$(cd "$(dirname "$0")" && pwd)
bench=${SWAP_BENCHMARK:-$here/../../../shared/bench/swap_benchmark.py}
eqr=${EQR:-eqr}
row() {  # name, extra eqr options
    local json
    # shellcheck disable=SC2086  # SWAP_BENCHMARK_ARGS is a list of options
    json=$(python3 "$bench" --photos "$photos" --res "$res" ${SWAP_BENCHMARK_ARGS:-} \
        --cmd "$eqr -i {char} -i {bg} -m $model -effect swap $2 -c:v ffv1 -nostats -y {out}")
    python3 -c 'import json, sys
d = json.loads(sys.argv[2])
m = d["mean"]
scenes = " ".join(f"{r['"'"'system'"'"']:.1f}" if r.get("system") is not None else "fail" for r in d["scenes"])
print(f"| {sys.argv[1]} | {m['"'"'system'"'"'] or float('"'"'nan'"'"'):.2f} | {m['"'"'classical'"'"']:.2f} | {m['"'"'paste_background_only'"'"']:.2f} | {scenes} |")' "$1" "$json"
}
echo "| $res×$res, $(basename "$model") | swap dB | classical | paste only | per scene |"
echo "|---|---|---|---|---|"
row "the model's rendering, scaled (-render model)" "-render model"
row "composite, plate learned while streaming (-plate running, as the plugins)" "-plate running"
row "composite, plate of the whole clip (the default)" ""

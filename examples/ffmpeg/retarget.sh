#!/usr/bin/env bash
# Retargets a clip with Debian's stock ffmpeg and the equivariant frei0r plugin.
#
#   examples/ffmpeg/retarget.sh MODEL BACKGROUND INPUT OUTPUT [EFFECT] [ffmpeg output options...]
#   examples/ffmpeg/retarget.sh examples/models/features-64.safetensors beach.png walk.mp4 out.mp4 transform=angle=20 -crf 20
#
# EFFECT is what `eqr -effect` takes (default swap). The plugin is looked up on FREI0R_PATH
# (default: /usr/local/lib/frei0r-1, where CInterop/install.sh puts it).
#
# FFmpeg 5.1's frei0r filter hands frames whose width is not a multiple of 16 to plugins with
# padded rows (they arrive sheared). For such inputs this script pads the frame (and the
# background) to the next multiple of 16 on the right and crops the result back.
set -euo pipefail
if [ $# -lt 4 ]; then
    sed -n '2,12p' "$0" >&2
    exit 2
fi
model=$1 background=$2 input=$3 output=$4 effect=${5:-swap}
shift $(( $# < 5 ? $# : 5 ))
export FREI0R_PATH=${FREI0R_PATH:-/usr/local/lib/frei0r-1}
for value in "$model" "$background" "$effect"; do
    case "$value" in *"'"*|*"|"*) echo "retarget.sh: quotes and | cannot appear in the plugin's parameters: $value" >&2; exit 2 ;; esac
done
width=$(ffprobe -v error -select_streams v:0 -show_entries stream=width -of csv=p=0 "$input")
[ -n "$width" ] || { echo "retarget.sh: $input has no video stream" >&2; exit 1; }
padded=$(( (width + 15) / 16 * 16 ))
# Inside the quotes ffmpeg's option parser still splits on ':': escape the effect's own.
effect=${effect//:/\\:}
if [ "$padded" -eq "$width" ]; then
    filter="frei0r=equivariant:'$model|$background|$effect'"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    ffmpeg -v error -y -i "$background" -frames:v 1 -vf "pad=iw*$padded/$width:ih" "$work/background.png"
    filter="pad=$padded:ih,frei0r=equivariant:'$model|$work/background.png|$effect',crop=$width:ih:0:0"
fi
exec ffmpeg -v error -stats -y -i "$input" -vf "$filter" "$@" "$output"

#!/usr/bin/env bash
# Fuzz eqr's parsers of users' files and strings (checkpoints, effect strings, motion
# templates, keyframe files) and the frei0r plugins' entry points (parameters of any index
# and value, frames, calls on freed instances) with libFuzzer and AddressSanitizer.
#   bash Tests/Fuzz/run.sh [SECONDS] [SURFACE]   a timed run (default 60 s) of every surface, or of one
#   bash Tests/Fuzz/run.sh --runs N SURFACE      N executions of one surface (the 10^6 runs), optimised build
# SURFACE: checkpoint, effect, motionTemplate, keyframes, frei0r or abi. The timed run builds without
# optimisation (.build/fuzz, Swift's debug checks on); --runs builds with -O (.build/fuzz-release,
# overflow and bounds checks stay on) so 10^6 inputs take minutes, not hours.
# abi fuzzes the C ABI of libequivariant (Tests/Fuzz/abi_fuzz.c: programs of calls on contexts,
# images, effect strings, feature buffers and handles): the library is built with AddressSanitizer
# and coverage (.build/fuzz-abi, optimised), the program with the toolchain's clang and
# -fsanitize=fuzzer,address, and it runs against a tiny layered features model (16×16, 4 channels;
# EQR_FUZZ_MODEL=FILE picks another checkpoint, e.g. examples/models/features-64.safetensors). A call takes
# 3–40 bytes, so inputs may be 1 KiB from the start (-len_control=0) instead of growing from a few bytes.
# Starts from a small valid input per surface plus Tests/Fuzz/corpus (the inputs that once
# broke something). Exits non-zero when an input crashes, trips the sanitizer, hangs for 10 s
# or allocates past 2 GB; the input is kept in .build/fuzz/findings/ — copy it into
# Tests/Fuzz/corpus/ once fixed, and the test suite replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/../.."
limit=(-max_total_time="${1:-60}")
configuration=debug scratch=.build/fuzz
if [ "${1:-}" = --runs ]; then
    [ $# -eq 3 ] && [[ "$2" =~ ^[0-9]+$ ]] || { echo "usage: run.sh --runs N SURFACE" >&2; exit 64; }
    limit=(-runs="$2")
    configuration=release scratch=.build/fuzz-release
    shift 2
else
    [[ "${1:-60}" =~ ^[0-9]+$ ]] || { echo "usage: run.sh [SECONDS] [SURFACE] | run.sh --runs N SURFACE" >&2; exit 64; }
    [ $# -gt 0 ] && shift
fi
surface=${1:-}
case "$surface" in ""|checkpoint|effect|motionTemplate|keyframes|frei0r|abi) ;;
    *) echo "run.sh: unknown surface '$surface' (checkpoint, effect, motionTemplate, keyframes, frei0r or abi)" >&2; exit 64 ;; esac
# The normal build's eqr-fuzz writes the seeds and the tiny model (the test suite, which holds
# .build's lock, has built it and says so).
normal_build_eqr_fuzz() { [ "${EQR_FUZZ_RELEASE_BUILT:-0}" = 1 ] || swift build -c release --product eqr-fuzz >/dev/null; }
fuzz_options=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=.build/fuzz/findings/)
if [ "$surface" = abi ]; then
    # libFuzzer reads inline 8-bit counters (plain edge coverage would be trace-pc-guard, which it refuses).
    build=(swift build -c release --scratch-path .build/fuzz-abi --sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table)
    "${build[@]}" --product equivariant >/dev/null
    products=$("${build[@]}" --show-bin-path)
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/corpus" .build/fuzz/findings
    "$(dirname "$(command -v swift)")/clang" -std=c99 -O1 -g -fsanitize=fuzzer,address -I CInterop/include Tests/Fuzz/abi_fuzz.c \
        -o "$work/abi_fuzz" -L "$products" -Wl,-rpath,"$products" -lequivariant -lm 2>"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
    # The surface is the ABI, not the network: a tiny layered features model (16×16, 4 channels)
    # renders every frame in well under a millisecond, so 10^6 programs take an hour, not four.
    if [ -z "${EQR_FUZZ_MODEL:-}" ]; then
        normal_build_eqr_fuzz
        .build/release/eqr-fuzz --write-tiny-model "$work/tiny.safetensors"
        export EQR_FUZZ_MODEL="$work/tiny.safetensors"
    fi
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
        "$work/abi_fuzz" "${limit[@]}" -max_len=1024 -len_control=0 "${fuzz_options[@]}" "$work/corpus"
    exit
fi
normal_build_eqr_fuzz
swift build -c "$configuration" --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --product eqr-fuzz >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" .build/fuzz/findings
.build/release/eqr-fuzz --write-seeds "$work/seeds"
cp Tests/Fuzz/corpus/* "$work/seeds/" 2>/dev/null || true
# A crash should end the run at once, not wait for Swift's interactive backtracer; the Swift
# runtime's process-lifetime allocations are not leaks.
EQR_FUZZ_SURFACE="$surface" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    "$scratch/$configuration/eqr-fuzz" "${limit[@]}" -max_len=16384 "${fuzz_options[@]}" "$work/corpus" "$work/seeds"

#!/usr/bin/env bash
# Drives every C entry point of libequivariant with valid and invalid input under
# AddressSanitizer and UndefinedBehaviorSanitizer: the library built with
# `--sanitize=address` (in .build/address, shared with run.sh address), the C test programs of
# Tests/EqrTests/C compiled with the toolchain's clang and -fsanitize=address,undefined (one
# ASan runtime for both), then run as the test suite runs them:
#   abi_misuse          every call with null, freed, foreign and wrong-typed handles, bad
#                       sizes, strides, formats and effect strings, calls out of order;
#   abi_threads         four threads with their own contexts against one thread;
#   abi_shared_context  two threads inside one context (refused with EQR_ERROR_BUSY);
#   abi_log             the log callback attached, used and detached;
#   abi_levels          a two-level model's feature buffers (a tiny model trained here);
#   abi_fit             eqr_fit with progress and abort callbacks, resumed, and refused arguments.
#   bash Tests/Sanitizers/c_abi.sh
# Exits non-zero when a program fails its own checks or a sanitizer reports anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=.build/address
swift build -c debug --scratch-path "$scratch" --sanitize=address --product equivariant >/dev/null
products=$(swift build -c debug --scratch-path "$scratch" --sanitize=address --show-bin-path)
clang=$(dirname "$(command -v swift)")/clang
models=examples/models
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'not a checkpoint at all' >"$work/corrupt.safetensors"

run() {  # NAME LIBRARIES... -- ARGUMENTS...
    local name=$1; shift
    local libraries=()
    while [ "$1" != -- ]; do libraries+=("$1"); shift; done
    shift
    "$clang" -std=c99 -Wall -Wextra -Werror -pedantic -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        -I CInterop/include "Tests/EqrTests/C/$name.c" -o "$work/$name" \
        -L "$products" -Wl,-rpath,"$products" "${libraries[@]}" 2>"$work/$name.build" \
        || { cat "$work/$name.build" >&2; exit 1; }  # (gold warns about every ASan helper it keeps local)
    local status=0
    # The Swift runtime's process-lifetime allocations are not leaks (valgrind checks leaks in
    # the test suite); every other report fails the run.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        SWIFT_BACKTRACE=enable=no "$work/$name" "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
    if [ "$status" -ne 0 ] || grep -q -E "ERROR: AddressSanitizer|runtime error:" "$work/$name.err"; then
        echo "c_abi.sh: $name failed (exit $status)" >&2
        head -c 20000 "$work/$name.err" >&2
        exit 1
    fi
    echo "$name: $(tail -n 1 "$work/$name.out")"
}

run abi_misuse -lequivariant -lm -- "$models/features-64.safetensors" "$models/given-64.safetensors" "$work/corrupt.safetensors"
run abi_threads -lequivariant -lpthread -- "$models/features-64.safetensors" 4
run abi_shared_context -lequivariant -lpthread -- "$models/features-64.safetensors"
run abi_log -lequivariant -- "$models/features-64.safetensors"
swift build -c release --product eqr >/dev/null
"$(swift build -c release --show-bin-path)/eqr" train --variant pixels --transform-output aligned --renderer layered --feature-stride 2 \
    --fine-level --resolution 16 --steps 2 --batch 2 --threads 1 -o "$work/fine.safetensors" 2>"$work/train.err" \
    || { cat "$work/train.err" >&2; exit 1; }
run abi_levels -lequivariant -- "$work/fine.safetensors" $((64 * 8 * 8 + 32 * 16 * 16)) $((64 * 8 * 8))
"$(swift build -c release --show-bin-path)/eqr" synth "$work/clip.mp4" --frames 24 --resolution 32 >/dev/null 2>"$work/synth.err" \
    || { cat "$work/synth.err" >&2; exit 1; }
run abi_fit -lequivariant -- "$work/clip.mp4" "$work"
echo "C ABI under AddressSanitizer and UndefinedBehaviorSanitizer: 6 programs, 0 reports"

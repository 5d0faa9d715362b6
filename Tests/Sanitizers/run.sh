#!/usr/bin/env bash
# Runs the library's unit tests under a sanitizer, in a build of their own (.build/<sanitizer>):
#   bash Tests/Sanitizers/run.sh thread|address [FILTER]
# FILTER defaults to the suites whose code runs on several threads or parses files. Exits
# non-zero when a test fails or the sanitizer reports anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
sanitizer=${1:?usage: run.sh thread|address [FILTER]}
filter=${2:-"RetargetingTests|TensorsTests|NeuralNetworkTests|SafeTensorsTests|SyntheticScenesTests"}
case "$sanitizer" in thread|address) ;; *) echo "run.sh: unknown sanitizer '$sanitizer' (thread or address)" >&2; exit 64 ;; esac
scratch=.build/$sanitizer
swift build -c debug --build-tests --scratch-path "$scratch" --sanitize="$sanitizer" >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# Report every finding, not only the first; the Swift runtime's process-lifetime allocations are
# not leaks.
TSAN_OPTIONS=halt_on_error=0 ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no \
    swift test -c debug --scratch-path "$scratch" --sanitize="$sanitizer" --skip-build --filter "$filter" >"$log" 2>&1 || status=$?
reports=$(grep -c -E "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log" || true)
grep -E "Executed [0-9]+ tests" "$log" | tail -1
echo "$sanitizer sanitizer: $reports reports"
if [ "$status" -ne 0 ] || [ "$reports" -ne 0 ]; then
    grep -E -A30 "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|error:" "$log" | head -200
    exit 1
fi

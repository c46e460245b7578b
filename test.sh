#!/usr/bin/env bash
# Installs what is missing, runs every test, and ends with "N passed, N failed"
# counting test targets. Extra arguments go to bazel (e.g. --config=asan).
set -uo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bazel test //... "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE)' "$log")
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "bazel exited with status $status before running every test" >&2
fi
exit "$status"

#!/usr/bin/env bash
# Installs what is missing, runs every test, then the stress tests (tag
# "stress") again under ThreadSanitizer and AddressSanitizer+UBSan, and ends
# with "N passed, N failed" counting test targets over the three runs.
# With arguments (e.g. --config=asan), only `bazel test //... ARGS` runs.
# CONVEY_SKIP_SANITIZERS=1 skips the two sanitizer runs.
set -uo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run() {
  bazel test "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -ne 0 ] && status=$rc
}
run //... "$@"
if [ $# -eq 0 ] && [ "${CONVEY_SKIP_SANITIZERS:-0}" != 1 ]; then
  run --config=tsan --test_tag_filters=stress //...
  run --config=asan --test_tag_filters=stress //...
fi

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE)' "$log")
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "bazel exited with status $status before running every test" >&2
fi
exit "$status"

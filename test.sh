#!/usr/bin/env bash
# Installs what is missing, runs every test, then the stress tests (tag
# "stress") again under ThreadSanitizer and AddressSanitizer+UBSan, and ends
# with "N passed, N failed" counting test targets over the three runs.
# With arguments (e.g. --config=asan), only `bazel test //... ARGS` runs.
# CONVEY_SKIP_SANITIZERS=1 skips the two sanitizer runs, which build the
# stress tests and what they link, nothing else (--build_tests_only). Then every fuzz
# target runs for CONVEY_FUZZ_SECONDS (default 15) seconds under ASan+UBSan
# (tests/fuzz/run.sh; CONVEY_SKIP_FUZZ=1 skips it); a finding fails the run.
set -uo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# Each phase says how long it took: CI stops the whole run at 90 minutes.
phase_start=0
phase_done() {
  echo "--- $1: $((SECONDS - phase_start)) s (total $SECONDS s)"
  phase_start=$SECONDS
}
run() {
  echo "=== bazel test $*" >> "$log"
  bazel test "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -ne 0 ] && status=$rc
  phase_done "bazel test $*"
}
phase_done "tools/install-deps.sh"
run //... "$@"
if [ $# -eq 0 ] && [ "${CONVEY_SKIP_SANITIZERS:-0}" != 1 ]; then
  run --config=tsan --test_tag_filters=stress --build_tests_only //...
  run --config=asan --test_tag_filters=stress --build_tests_only //...
fi

fuzz_result=""
if [ $# -eq 0 ] && [ "${CONVEY_SKIP_FUZZ:-0}" != 1 ]; then
  tests/fuzz/run.sh "${CONVEY_FUZZ_SECONDS:-15}"
  fuzz_rc=$?
  phase_done "tests/fuzz/run.sh"
  if [ "$fuzz_rc" -ne 0 ]; then
    status=$fuzz_rc
    fuzz_result="fuzzing FAILED (tests/fuzz/run.sh exited $fuzz_rc)"
  else
    fuzz_result="fuzzing: every target ran clean"
  fi
fi

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE)' "$log")
# The fuzz run counts as one target.
case "$fuzz_result" in
  *FAILED*) failed=$((failed + 1)) ;;
  ?*) passed=$((passed + 1)) ;;
esac
[ -n "$fuzz_result" ] && echo "$fuzz_result"
# Name what failed last, so the tail of a CI log says which targets to look at.
awk '/^=== bazel test / { run = substr($0, 5) }
     /^\/\/[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE)/ {
       print "not passed: " $1 " " $2 " (" run ")" }' "$log"
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && [ -z "$fuzz_result" ]; then
  echo "bazel exited with status $status before running every test" >&2
fi
exit "$status"

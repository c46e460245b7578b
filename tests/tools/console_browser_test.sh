#!/usr/bin/env bash
# The web console of `convey serve` in headless Chromium (Debian's
# `chromium`, installed by tools/install-deps.sh): console_browser_test.py
# says what it checks. Screenshots go to $TEST_UNDECLARED_OUTPUTS_DIR
# (bazel-testlogs/tests/tools/console_browser_test/test.outputs/).
#   console_browser_test.sh CONVEY_BINARY SCHEME_FILE CHECK_PY
set -euo pipefail
command -v chromium >/dev/null || {
  echo "chromium is not installed: run tools/install-deps.sh" >&2
  exit 1
}
convey=$1
scheme=$2
check=$3
# Chromium writes under HOME (crash reports, caches): a sandbox's own.
export HOME="${TEST_TMPDIR:-$(mktemp -d)}"
exec python3 "$check" "$convey" "$scheme"

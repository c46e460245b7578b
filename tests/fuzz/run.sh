#!/usr/bin/env bash
# Builds every fuzz target (tests/fuzz, bazel/fuzz.bzl) with clang, libFuzzer,
# ASan and UBSan, and runs each one after the other for SECONDS.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]      e.g. tests/fuzz/run.sh 300
#                                              or   tests/fuzz/run.sh 60 template_fuzzer
#
# - Builds in its own Bazel output base (CONVEY_FUZZ_OUTPUT_BASE, default
#   ~/.cache/convey-fuzz): the clang toolchain never touches the GCC build's
#   output base, so a normal `bazel build` can run at the same time.
# - One fuzzer at a time, one process each (no -jobs/-fork), niced.
# - Work files in CONVEY_FUZZ_WORK (default ~/.cache/convey-fuzz-work):
#   corpus/<target>/ (grows from run to run), seeds/<target>/ (generated from
#   tests/ and ../shared/corpus each run), <target>.dict, logs/<target>.log,
#   findings/<target>/ (crash-*, leak-*, timeout-*, oom-* inputs).
# - A finding is a crash (ASan, UBSan, a broken invariant: FUZZ_CHECK), a
#   leak, an input running longer than 10 s (again when replayed: a one-off
#   stall of the machine is reported, not counted), or more than 2 GB of
#   memory.
#   The script goes on with the next target and exits 1 when any target had
#   a finding (2 when the build failed).
# - Prints per target: executions, coverage (cov/ft from libFuzzer's final
#   stats), corpus size and findings.
#
# Replaying an input: the target binary runs the files it is given, e.g.
#   ~/.cache/convey-fuzz-work/bin/template_fuzzer tests/fuzz/findings/template_fuzzer/*
# CONVEY_FUZZ_VERBOSE=1 makes targets describe what they did; CONVEY_FUZZ_STRICT=1
# turns off the known-bug filters (tests/fuzz/README.md).
set -uo pipefail

usage() {
  echo "usage: $0 SECONDS [TARGET...]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
SECONDS_PER_TARGET=$1
shift
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] && [ "$SECONDS_PER_TARGET" -ge 1 ] || usage

FUZZ_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$FUZZ_DIR/../.." && pwd)"
SHARED_CORPUS="$(cd "$ROOT/.." && pwd)/shared/corpus"
OUTPUT_BASE="${CONVEY_FUZZ_OUTPUT_BASE:-$HOME/.cache/convey-fuzz}"
WORK="${CONVEY_FUZZ_WORK:-$HOME/.cache/convey-fuzz-work}"
cd "$ROOT"

# Bytes per input, by target (libFuzzer's -max_len).
max_len() {
  case "$1" in
    scheme_fuzzer) echo 32768 ;;   # the shared corpus' files are up to ~25 KB
    task_data_fuzzer | ops_fuzzer | api_answer_fuzzer | serve_fuzzer) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

"$ROOT/tools/install-deps.sh" || exit 2
for tool in clang clang++; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (tools/install-deps.sh)" >&2; exit 2; }
done

bazel_fuzz() {
  nice -n 10 bazel --output_base="$OUTPUT_BASE" --batch_cpu_scheduling "$@"
}

mkdir -p "$WORK/logs" "$WORK/bin"
echo "querying the fuzz targets (output base $OUTPUT_BASE)"
mapfile -t ALL_TARGETS < <(bazel_fuzz query --noshow_progress \
  'attr(tags, "\bfuzz\b", kind(cc_binary, //tests/fuzz:*))' 2>"$WORK/logs/query.log" |
  sed -n 's|^//tests/fuzz:||p' | sort)
if [ ${#ALL_TARGETS[@]} -eq 0 ]; then
  cat "$WORK/logs/query.log" >&2
  echo "no fuzz targets found" >&2
  exit 2
fi
if [ $# -gt 0 ]; then
  TARGETS=("$@")
  for target in "${TARGETS[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $target "* ]] || {
      echo "unknown target $target (known: ${ALL_TARGETS[*]})" >&2
      exit 2
    }
  done
else
  TARGETS=("${ALL_TARGETS[@]}")
fi

echo "building ${TARGETS[*]} (--config=fuzz; log $WORK/logs/build.log)"
if ! bazel_fuzz build --config=fuzz --noshow_progress "${TARGETS[@]/#/\/\/tests\/fuzz:}" \
  >"$WORK/logs/build.log" 2>&1; then
  grep -vE 'linux-sandbox|ld\.gold: warning' "$WORK/logs/build.log" | tail -40 >&2
  echo "the fuzz build failed (log: $WORK/logs/build.log)" >&2
  exit 2
fi
BIN_DIR="$(bazel_fuzz info --config=fuzz bazel-bin 2>/dev/null)/tests/fuzz"
for target in "${TARGETS[@]}"; do
  cp -f "$BIN_DIR/$target" "$WORK/bin/$target"
done

# Seeds generated from the repository's tests and examples (replaced every
# run; the checked-in ones are in tests/fuzz/seeds/<target>/).
generate_seeds() {
  local target=$1
  export DIR="$WORK/seeds/$1"
  local dir="$DIR"
  rm -rf "$dir"
  mkdir -p "$dir"
  command -v perl >/dev/null || return 0
  case "$target" in
    scheme_fuzzer)
      find "$ROOT/examples" "$ROOT/tests/testdata" "$ROOT/tests/compat" -name '*.json' \
        -exec cp -f -t "$dir" {} + 2>/dev/null
      ;;
    template_fuzzer)
      # The template texts of the template tests: Eval("...") and
      # CompileError("...") arguments, C++ escapes undone.
      perl -ne '
        while (/(?:Eval|CompileError)\((?:R"\((.*?)\)"|"((?:[^"\\]|\\.)*)")/g) {
          my $t = defined $1 ? $1 : $2;
          if (!defined $1) { $t =~ s/\\(["\\])/$1/g; $t =~ s/\\n/\n/g; }
          $n++; open(my $f, ">", sprintf("%s/test_%04d", $ENV{DIR}, $n)) or die; print $f $t; close $f;
        }' "$ROOT"/tests/runtime/template/*_test.cc 2>/dev/null
      ;;
    ops_fuzzer)
      # The requests of the ops tests (raw strings split over lines joined).
      perl -0777 -ne '
        s/\)"\s*R"\(//g;
        while (/R"\((\{"ops".*?)\)"/gs) {
          $n++; open(my $f, ">", sprintf("%s/test_%04d", $ENV{DIR}, $n)) or die; print $f $1; close $f;
        }' "$ROOT"/tests/runtime/ops/*_test.cc 2>/dev/null
      ;;
    task_data_fuzzer | script_fuzzer)
      # Task data lines of the examples and compatibility tests.
      cat "$ROOT"/examples/*.jsonl "$ROOT"/examples/*/*.jsonl "$ROOT"/tests/compat/tasks/*.jsonl \
        "$ROOT"/tests/testdata/run/*.jsonl 2>/dev/null |
        perl -ne 'chomp; next unless /^\{/; $n++;
          open(my $f, ">", sprintf("%s/task_%04d", $ENV{DIR}, $n)) or die; print $f $_; close $f;'
      ;;
    conditions_fuzzer)
      # The go_if_const logic objects of the shared corpus, one per file.
      [ -d "$SHARED_CORPUS/valid" ] &&
        perl -MJSON::PP -e '
          my $n = 0; my $json = JSON::PP->new->canonical;
          sub walk { my $v = shift;
            if (ref $v eq "HASH") {
              if (($v->{type} // "") eq "go_if_const") {
                $n++; open(my $f, ">", sprintf("%s/corpus_%04d", $ENV{DIR}, $n)) or die;
                print $f $json->encode($v); close $f;
              }
              walk($_) for values %$v;
            } elsif (ref $v eq "ARRAY") { walk($_) for @$v; }
          }
          for my $file (@ARGV) {
            open(my $f, "<", $file) or next; local $/; my $text = <$f>;
            my $doc = eval { JSON::PP->new->relaxed->decode($text) } or next; walk($doc);
          }' "$SHARED_CORPUS"/valid/*.json 2>/dev/null
      ;;
  esac
  return 0
}

# libFuzzer options and environment shared by every run.
export ASAN_OPTIONS="detect_leaks=1:handle_abort=1:symbolize=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:symbolize=1"
export LSAN_OPTIONS="suppressions=$FUZZ_DIR/lsan.supp:print_suppressions=0"
for symbolizer in llvm-symbolizer llvm-symbolizer-14; do
  if command -v "$symbolizer" >/dev/null; then
    ASAN_SYMBOLIZER_PATH="$(command -v "$symbolizer")"
    export ASAN_SYMBOLIZER_PATH
    break
  fi
done

# A slow unit or a timeout is a finding only when it is slow again: each
# is run 3 more times, and one whose replays then take under 6 s in all was
# a stall of the machine (a paused VM, a busy neighbour), not of the input.
# It moves to $WORK/stalls/<target>/ and is reported, without failing.
replay_slow_units() {
  local target=$1 file rc start elapsed_ms
  shift
  for file in "$@"; do
    case "$(basename "$file")" in slow-unit-* | timeout-*) ;; *) continue ;; esac
    [ -f "$file" ] || continue
    start=$(date +%s%N)
    "$WORK/bin/$target" -runs=3 -timeout=10 "$file" >/dev/null 2>&1
    rc=$?
    elapsed_ms=$((($(date +%s%N) - start) / 1000000))
    if [ "$rc" -eq 0 ] && [ "$elapsed_ms" -lt 6000 ]; then
      mkdir -p "$WORK/stalls/$target"
      mv -f "$file" "$WORK/stalls/$target/"
      echo "$(basename "$file")"
    fi
  done
}

status=0
summary=()
for target in "${TARGETS[@]}"; do
  corpus="$WORK/corpus/$target"
  findings="$WORK/findings/$target"
  log="$WORK/logs/$target.log"
  dict="$WORK/$target.dict"
  mkdir -p "$corpus" "$findings"
  generate_seeds "$target"
  cat "$FUZZ_DIR/json.dict" >"$dict"
  [ -f "$FUZZ_DIR/$target.dict" ] && cat "$FUZZ_DIR/$target.dict" >>"$dict"

  inputs=("$corpus")
  [ -d "$FUZZ_DIR/seeds/$target" ] && inputs+=("$FUZZ_DIR/seeds/$target")
  inputs+=("$WORK/seeds/$target")
  if [ "$target" = scheme_fuzzer ]; then
    for dir in "$SHARED_CORPUS/valid" "$SHARED_CORPUS/invalid"; do
      if [ -d "$dir" ]; then inputs+=("$dir"); else echo "note: $dir is missing (../shared)"; fi
    done
  fi

  before=$(find "$findings" -type f | wc -l)
  echo
  echo "=== $target: ${SECONDS_PER_TARGET}s, max_len $(max_len "$target") (log: $log)"
  nice -n 10 "$WORK/bin/$target" \
    -max_total_time="$SECONDS_PER_TARGET" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 \
    -max_len="$(max_len "$target")" \
    -dict="$dict" \
    -print_final_stats=1 \
    -artifact_prefix="$findings/" \
    "${inputs[@]}" >"$log" 2>&1
  rc=$?

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  units=$(find "$corpus" -type f | wc -l)
  written=$(grep -aoE "(Test unit|artifact) written to [^ ]+" "$log" | sed 's/.* to //' | sort -u)
  stalls=$(replay_slow_units "$target" $written)
  new_findings=$(($(find "$findings" -type f | wc -l) - before))
  # libFuzzer stops with 70 on a timeout; one that was a stall is no finding.
  [ "$rc" -eq 70 ] && [ -n "$stalls" ] && [ "$new_findings" -eq 0 ] && rc=0
  result="ok"
  if [ "$rc" -ne 0 ] || [ "$new_findings" -gt 0 ]; then
    status=1
    kind=$(grep -aoE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [a-zA-Z-]+( [a-z-]+)?|runtime error: [^\n]{0,80}|FUZZ_CHECK failed at [^ ]+' "$log" | head -1)
    result="FINDING (exit $rc): ${kind:-see the log}"
  fi
  printf '%s: %s executions (%s/s), %s, corpus %s files: %s\n' "$target" "${execs:-?}" \
    "${rate:-?}" "${cov:-cov: ?}" "$units" "$result"
  for file in $written; do [ -f "$file" ] && echo "  input saved: $file"; done
  for file in $stalls; do
    echo "  a stall, not a finding: $file took over 10 s once, then ran 3 times in under 6 s ($WORK/stalls/$target/)"
  done
  if [ "$result" != ok ]; then
    grep -aE 'FUZZ_CHECK|^  |ERROR:|SUMMARY:|runtime error|^    #[0-9] ' "$log" | head -25 | sed 's/^/  | /'
  fi
  summary+=("$(printf '%-20s %12s execs  %-22s %s' "$target" "${execs:-?}" "${cov:-cov: ?}" "$result")")
done

echo
echo "=== summary (${SECONDS_PER_TARGET}s per target; findings under $WORK/findings)"
printf '%s\n' "${summary[@]}"
exit "$status"

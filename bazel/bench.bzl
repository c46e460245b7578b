"""Smoke tests of the Google Benchmark programs in bench/."""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load("//bazel:copts.bzl", "CONVEY_COPTS")

def bench_smoke_test(name, srcs, deps, args = [], data = [], size = "small", tags = []):
    """Builds the benchmark program `srcs` as `<name>_program` and runs it briefly.

    The test (an sh_test running //bench:bench_smoke.sh) fails when the
    program exits non-zero, when any benchmark reports an error
    (State::SkipWithError, after which the program still exits 0), or when
    no benchmark ran.

    Args:
      name: the test.
      srcs: the benchmark program's sources.
      deps: its dependencies.
      args: benchmark flags (`--benchmark_min_time=0.001`, a filter, ...).
      data: files the program reads at run time.
      size: the test size.
      tags: the test's tags.
    """
    program = name + "_program"
    cc_binary(
        name = program,
        testonly = True,
        srcs = srcs,
        copts = CONVEY_COPTS,
        data = data,
        tags = ["manual"],
        deps = deps,
    )
    native.sh_test(
        name = name,
        size = size,
        srcs = ["//bench:bench_smoke.sh"],
        args = ["$(rootpath :%s)" % program] + args,
        data = [":" + program],
        tags = tags,
    )

"""Test and test-helper library macros: convey's flags, GoogleTest's main.

    load("//bazel:testing.bzl", "convey_test", "convey_test_library")

    convey_test(
        name = "go_test",
        srcs = ["go_test.cc"],
        deps = ["//tests/logics:fakes"],
    )

Tag a test "stress" when it runs code on several threads: ./test.sh runs
those again under ThreadSanitizer and AddressSanitizer (give them
`data = ["//tests:tsan.supp"]`, the suppressions --config=tsan reads).
"""

load("@rules_cc//cc:defs.bzl", "cc_library", "cc_test")
load("//bazel:copts.bzl", "CONVEY_COPTS")

_GTEST_MAIN = "@system//:gtest_main"

def convey_test(name, srcs, deps = [], data = [], tags = [], size = "small", copts = [], **kwargs):
    """A GoogleTest test built with CONVEY_COPTS and linked with gtest_main.

    Args:
      name: the test.
      srcs: its sources.
      deps: its dependencies (gtest_main is added).
      data: files it reads at run time.
      tags: its tags ("stress": also run under TSan and ASan by ./test.sh).
      size: the test size.
      copts: options added to CONVEY_COPTS.
      **kwargs: any other cc_test attribute (args, env, shard_count, ...).
    """
    cc_test(
        name = name,
        size = size,
        srcs = srcs,
        copts = CONVEY_COPTS + copts,
        data = data,
        tags = tags,
        deps = deps + ([] if _GTEST_MAIN in deps else [_GTEST_MAIN]),
        **kwargs
    )

def convey_test_library(name, srcs = [], hdrs = [], deps = [], copts = [], **kwargs):
    """A testonly library of test helpers (fakes, matchers), with CONVEY_COPTS.

    Args:
      name: the library.
      srcs: its sources.
      hdrs: its headers.
      deps: its dependencies.
      copts: options added to CONVEY_COPTS.
      **kwargs: any other cc_library attribute (visibility, ...).
    """
    cc_library(
        name = name,
        testonly = True,
        srcs = srcs,
        hdrs = hdrs,
        copts = CONVEY_COPTS + copts,
        deps = deps,
        **kwargs
    )

"""Compiler options shared by every convey target.

Warnings are errors on convey's own code only; system headers are included
with -isystem by the toolchain and are not affected.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

CONVEY_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
]

def convey_logic(name, deps = []):
    """A logic type's library: logics/<name>/<name>.{h,cc} (see logics/BUILD.bazel)."""
    cc_library(
        name = name,
        srcs = [name + ".cc"],
        hdrs = [name + ".h"],
        copts = CONVEY_COPTS,
        visibility = ["//logics:__pkg__", "//tests:__subpackages__"],
        deps = ["//runtime:api_types_internal"] + deps,
    )

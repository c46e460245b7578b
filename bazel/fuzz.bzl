"""libFuzzer targets (tests/fuzz): `convey_fuzz_target`.

    load("//bazel:fuzz.bzl", "convey_fuzz_target")

    convey_fuzz_target(
        name = "template_fuzzer",
        srcs = ["template_fuzzer.cc"],
        deps = ["//runtime/template"],
    )

A fuzz target defines `LLVMFuzzerTestOneInput` and is built only by name:
it is tagged "manual" (so `bazel build //...`, `bazel test //...` and
`//tests/fuzz:all` never build it) and "fuzz" (so that
`bazel query 'attr(tags, fuzz, //tests/fuzz:*)'` lists them). With
`--config=fuzz` (clang, ASan + UBSan, libFuzzer; see .bazelrc) libFuzzer
provides `main`:

    bazel --output_base=$HOME/.cache/convey-fuzz build --config=fuzz //tests/fuzz:template_fuzzer

Use a separate output base: the fuzz config changes the C++ toolchain
(CC=clang), which would otherwise discard the GCC build's cache. Without
`--config=fuzz` (GCC, e.g. with --config=asan), the target links
//tests/fuzz:standalone_main instead, a driver that runs the files and
directories given as arguments once each: for replaying reproducers
(tests/fuzz/findings/) and seeds without clang. tests/fuzz/run.sh builds
and runs them all.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load("//bazel:copts.bzl", "CONVEY_COPTS")

# Set by --config=fuzz (--define=convey_fuzz=libfuzzer): libFuzzer links
# its own main.
_LIBFUZZER = "//tests/fuzz:libfuzzer"
_STANDALONE_MAIN = "//tests/fuzz:standalone_main"

def convey_fuzz_target(name, srcs, deps = [], copts = [], tags = [], **kwargs):
    """A libFuzzer fuzz target: a cc_binary tagged "manual" and "fuzz".

    Args:
      name: the target (by convention `<what>_fuzzer`).
      srcs: its sources; one defines LLVMFuzzerTestOneInput.
      deps: the product libraries it drives (and test helpers: it is
        testonly).
      copts: options added to CONVEY_COPTS.
      tags: more tags ("manual" and "fuzz" are always set).
      **kwargs: any other cc_binary attribute (data, linkopts, ...).
    """
    cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        copts = CONVEY_COPTS + copts,
        tags = ["manual", "fuzz"] + [tag for tag in tags if tag not in ("manual", "fuzz")],
        deps = deps + select({
            _LIBFUZZER: [],
            "//conditions:default": [_STANDALONE_MAIN],
        }),
        **kwargs
    )

"""Compiler options shared by every convey target.

Warnings are errors on convey's own code only; system headers are included
with -isystem by the toolchain and are not affected.
"""

CONVEY_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
]

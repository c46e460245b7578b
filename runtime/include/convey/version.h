// convey's version. The macros are the version of the headers compiled
// against; convey::Version() is the version of the library linked (the
// shared library may be newer: docs/embedding.md, "ABI policy").
#ifndef CONVEY_VERSION_H_
#define CONVEY_VERSION_H_

#define CONVEY_VERSION_MAJOR 0
#define CONVEY_VERSION_MINOR 2
#define CONVEY_VERSION_PATCH 0
#define CONVEY_VERSION_STRING "0.2.0"

namespace convey {

// "MAJOR.MINOR.PATCH" of the library linked.
const char* Version();

}  // namespace convey

#endif  // CONVEY_VERSION_H_

// The library's version (convey/version.h).
#include "convey/version.h"

namespace convey {

const char* Version() { return CONVEY_VERSION_STRING; }

}  // namespace convey

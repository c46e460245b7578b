// The entry points of the public API, referenced once so that the linker
// pulls them (and everything they use) out of the static libraries into
// libconvey.so; a shared library has no main() to reach them otherwise.
// convey.lds then exports exactly these names (and the C API, which
// c_api.cc brings in whole). tests/dist/install_test.sh checks that what is
// exported is the public API and nothing else.
#include "convey/c.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/http.h"
#include "convey/logic.h"
#include "convey/ops.h"
#include "convey/scheme.h"
#include "convey/value.h"
#include "convey/version.h"

namespace convey {
namespace {

[[gnu::used]] const void* const kPublicApi[] = {
    // C++
    reinterpret_cast<const void*>(&Engine::Open),
    reinterpret_cast<const void*>(&TaskStatusName),
    reinterpret_cast<const void*>(&ParkReasonName),
    reinterpret_cast<const void*>(&LogSeverityName),
    reinterpret_cast<const void*>(&Version),
    reinterpret_cast<const void*>(&InspectScheme),
    reinterpret_cast<const void*>(&InspectSchemeFile),
    reinterpret_cast<const void*>(&HandleOps),
    reinterpret_cast<const void*>(&NewCurlTransport),
    reinterpret_cast<const void*>(&Clock::Real),
    reinterpret_cast<const void*>(&Value::Boolean),
    reinterpret_cast<const void*>(&Value::Number),
    reinterpret_cast<const void*>(&LogicRegistry::Global),
    reinterpret_cast<const void*>(&RegisterBuiltinLogics),
    // C (c_api.cc comes whole with the first)
    reinterpret_cast<const void*>(&convey_open),
};

}  // namespace
}  // namespace convey

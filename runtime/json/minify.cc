#include "runtime/json/minify.h"

#include <limits>
#include <string>

#include "runtime/json/dom_writer.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace convey {
namespace internal {
namespace {

bool IsAmdCpu() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0) return false;
  // "AuthenticAMD" in EBX, EDX, ECX.
  return ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;
#else
  return false;
#endif
}

const simdjson::implementation& ChooseMinifier() {
  const simdjson::implementation* active = simdjson::get_active_implementation();
  if (active->name() != "icelake" || !IsAmdCpu()) return *active;
  const simdjson::implementation* avx2 = simdjson::get_available_implementations()["haswell"];
  if (avx2 == nullptr || !avx2->supported_by_runtime_system()) return *active;
  return *avx2;
}

}  // namespace

std::string Minify(simdjson::dom::element element) {
  // Written into a buffer each thread keeps, then copied out at its size:
  // a text written straight into its own string would keep the spare
  // capacity of its growth. Sink zero-fills the capacity it is given, so a
  // buffer grown by a large element (a long Code node source) is dropped.
  constexpr size_t kKeptCapacity = 1024;
  thread_local std::string buffer;
  buffer.clear();
  {
    Sink sink(&buffer, std::numeric_limits<size_t>::max());
    WriteElementAsSimdjson(sink, element);
  }
  std::string text(buffer);
  if (buffer.capacity() > kKeptCapacity) std::string().swap(buffer);
  return text;
}

const simdjson::implementation& MinifyImplementation() {
  static const simdjson::implementation& chosen = ChooseMinifier();
  return chosen;
}

simdjson::error_code MinifyText(absl::string_view text, std::string* out) {
  out->resize(text.size());
  size_t size = 0;
  const simdjson::error_code error =
      MinifyImplementation().minify(reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                                    reinterpret_cast<uint8_t*>(out->data()), size);
  out->resize(error == simdjson::SUCCESS ? size : 0);
  return error;
}

}  // namespace internal
}  // namespace convey

// The computations behind the `$.` functions, free of template parsing so
// they can be tested directly. Internal to runtime/template.
#ifndef CONVEY_RUNTIME_TEMPLATE_FUNCTIONS_H_
#define CONVEY_RUNTIME_TEMPLATE_FUNCTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace convey {
namespace internal {

// `$.date(fmt)`: `fmt` with `%y` (4 digits), `%m %d %h %i %s` (2 digits)
// replaced by the fields of `now`. A placeholder may be followed by `+N` or
// `-N` (N: up to 9 digits); every such offset shifts the one time all
// placeholders print, normalised like absl::CivilSecond (Jan 31 + 1 month
// is Mar 3 or Mar 2). Other text is copied. InvalidArgument for an offset
// that is too long.
absl::StatusOr<std::string> FormatDate(absl::string_view fmt, absl::CivilSecond now);

// `$.unixtime(text)`: `text` is a date written as up to six numeric
// components in the order year, month, day, hour, minute, second,
// separated by any of ` -/:.,T_`. A component is a literal number (up to 9
// digits; it sets the field of its position) or a placeholder `%y %m %d %h
// %i %s` (the field of `now` named by the letter, optionally `+N`/`-N`).
// Fields not given are today's date (from `now`) and 00:00:00. The civil
// time is normalised and counted in seconds from 1970-01-01 00:00:00.
// InvalidArgument for other characters, a field given twice, more than six
// components, or none.
absl::StatusOr<int64_t> UnixtimeFromText(absl::string_view text, absl::CivilSecond now);

// A `.tz('...')` zone: an IANA name (`Europe/Kiev`), `UTC`/`GMT`, or a
// fixed offset `GMT+2`, `UTC-03:30`, `+0530` (east of Greenwich is `+`,
// unlike the POSIX-style `Etc/GMT+2`). InvalidArgument for
// anything else.
absl::StatusOr<absl::TimeZone> ResolveTimeZone(absl::string_view name);

// A uniform integer in [lo, hi] (lo <= hi) from a source of uniform 64-bit
// values (rejection sampling, so no modulo bias).
template <typename Source>
int64_t RandomBetween(int64_t lo, int64_t hi, Source&& next) {
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  if (span == 0) return static_cast<int64_t>(next());  // the whole int64 range
  const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
  uint64_t r = next();
  // Values at or above `limit` would favour small results; draw again
  // (the chance of that is below one half, so this ends quickly).
  for (int tries = 0; r >= limit && tries < 64; ++tries) r = next();
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + r % span);
}

// Lowercase hex digests and standard base64 (with padding).
std::string Sha1Hex(absl::string_view data);
std::string Md5Hex(absl::string_view data);
std::string Base64(absl::string_view data);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TEMPLATE_FUNCTIONS_H_

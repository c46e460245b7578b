#include "runtime/template/functions.h"

#include <openssl/evp.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convey {
namespace internal {
namespace {

// Field indexes in the order `$.unixtime` reads literal components.
enum Field { kYear, kMonth, kDay, kHour, kMinute, kSecond, kFieldCount };

int FieldOfLetter(char c) {
  switch (c) {
    case 'y':
      return kYear;
    case 'm':
      return kMonth;
    case 'd':
      return kDay;
    case 'h':
      return kHour;
    case 'i':
      return kMinute;
    case 's':
      return kSecond;
    default:
      return -1;
  }
}

int64_t FieldOf(absl::CivilSecond t, int field) {
  switch (field) {
    case kYear:
      return t.year();
    case kMonth:
      return t.month();
    case kDay:
      return t.day();
    case kHour:
      return t.hour();
    case kMinute:
      return t.minute();
    default:
      return t.second();
  }
}

constexpr int kMaxDigits = 9;

// Reads up to kMaxDigits digits at text[*i]. False (with *error) when there
// are more.
bool ReadNumber(absl::string_view text, size_t* i, int64_t* out, std::string* error) {
  size_t start = *i;
  int64_t value = 0;
  while (*i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[*i]))) {
    if (*i - start == kMaxDigits) {
      *error = absl::StrCat("number at byte ", start, " has more than ", kMaxDigits, " digits");
      return false;
    }
    value = value * 10 + (text[*i] - '0');
    ++*i;
  }
  *out = value;
  return true;
}

// After a placeholder: `+N` / `-N` when a sign is directly followed by a
// digit (`%y-%m` is a separator, `%d-1` an offset).
bool ReadOffset(absl::string_view text, size_t* i, int64_t* offset, std::string* error) {
  *offset = 0;
  if (*i + 1 >= text.size()) return true;
  char sign = text[*i];
  if ((sign != '+' && sign != '-') ||
      !absl::ascii_isdigit(static_cast<unsigned char>(text[*i + 1]))) {
    return true;
  }
  ++*i;
  int64_t n = 0;
  if (!ReadNumber(text, i, &n, error)) return false;
  *offset = sign == '-' ? -n : n;
  return true;
}

absl::CivilSecond Shifted(absl::CivilSecond now, const int64_t (&offsets)[kFieldCount]) {
  // CivilSecond normalises out-of-range fields (month 13, minute 75, ...).
  return absl::CivilSecond(now.year() + offsets[kYear], now.month() + offsets[kMonth],
                           now.day() + offsets[kDay], now.hour() + offsets[kHour],
                           now.minute() + offsets[kMinute], now.second() + offsets[kSecond]);
}

bool IsUnixtimeSeparator(char c) { return std::strchr(" -/:.,T_", c) != nullptr && c != '\0'; }

std::string DigestHex(const EVP_MD* md, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr) != 1) return "";
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

absl::StatusOr<std::string> FormatDate(absl::string_view fmt, absl::CivilSecond now) {
  // First pass: the offsets, which shift the time every placeholder prints.
  int64_t offsets[kFieldCount] = {0, 0, 0, 0, 0, 0};
  std::string error;
  for (size_t i = 0; i < fmt.size();) {
    if (fmt[i] == '%' && i + 1 < fmt.size() && FieldOfLetter(fmt[i + 1]) >= 0) {
      int field = FieldOfLetter(fmt[i + 1]);
      i += 2;
      int64_t offset = 0;
      if (!ReadOffset(fmt, &i, &offset, &error)) {
        return absl::InvalidArgumentError(absl::StrCat("$.date(", fmt, "): ", error));
      }
      offsets[field] += offset;
    } else {
      ++i;
    }
  }
  absl::CivilSecond t = Shifted(now, offsets);
  std::string out;
  for (size_t i = 0; i < fmt.size();) {
    if (fmt[i] == '%' && i + 1 < fmt.size() && FieldOfLetter(fmt[i + 1]) >= 0) {
      int field = FieldOfLetter(fmt[i + 1]);
      i += 2;
      int64_t ignored = 0;
      ReadOffset(fmt, &i, &ignored, &error);  // validated above
      if (field == kYear) {
        absl::StrAppendFormat(&out, "%04d", FieldOf(t, field));
      } else {
        absl::StrAppendFormat(&out, "%02d", FieldOf(t, field));
      }
    } else {
      out.push_back(fmt[i]);
      ++i;
    }
  }
  return out;
}

absl::StatusOr<int64_t> UnixtimeFromText(absl::string_view text, absl::CivilSecond now) {
  auto fail = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("$.unixtime(", text, "): ", why));
  };
  int64_t values[kFieldCount] = {0, 0, 0, 0, 0, 0};
  bool given[kFieldCount] = {false, false, false, false, false, false};
  int position = 0;
  std::string error;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    int field = -1;
    int64_t value = 0;
    size_t start = i;
    if (c == '%' && i + 1 < text.size() && FieldOfLetter(text[i + 1]) >= 0) {
      field = FieldOfLetter(text[i + 1]);
      i += 2;
      int64_t offset = 0;
      if (!ReadOffset(text, &i, &offset, &error)) return fail(error);
      value = FieldOf(now, field) + offset;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      if (!ReadNumber(text, &i, &value, &error)) return fail(error);
      if (position >= kFieldCount) {
        return fail(absl::StrCat("more than six date fields at byte ", start));
      }
      field = position;
    } else if (IsUnixtimeSeparator(c)) {
      ++i;
      continue;
    } else {
      return fail(absl::StrCat("unexpected '", absl::string_view(&text[i], 1), "' at byte ", i,
                               " (expected a number, %y %m %d %h %i %s, or a separator)"));
    }
    if (position >= kFieldCount) {
      return fail(absl::StrCat("more than six date fields at byte ", start));
    }
    if (given[field]) {
      return fail(absl::StrCat("the field at byte ", start, " is given twice"));
    }
    given[field] = true;
    values[field] = value;
    ++position;
  }
  if (position == 0) return fail("no date fields");
  for (int field : {kYear, kMonth, kDay}) {
    if (!given[field]) values[field] = FieldOf(now, field);
  }
  absl::CivilSecond t(values[kYear], values[kMonth], values[kDay], values[kHour], values[kMinute],
                      values[kSecond]);
  return static_cast<int64_t>(t - absl::CivilSecond(1970, 1, 1, 0, 0, 0));
}

absl::StatusOr<absl::TimeZone> ResolveTimeZone(absl::string_view name) {
  absl::string_view rest = name;
  bool fixed = false;
  if (absl::StartsWithIgnoreCase(rest, "GMT") || absl::StartsWithIgnoreCase(rest, "UTC")) {
    rest.remove_prefix(3);
    fixed = true;
  } else if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    fixed = true;
  }
  if (fixed) {
    if (rest.empty()) return absl::UTCTimeZone();
    auto bad = [&] {
      return absl::InvalidArgumentError(absl::StrCat(
          "time zone \"", name, "\": expected GMT+H, GMT+HH:MM, GMT+HHMM or an IANA name"));
    };
    if (rest[0] != '+' && rest[0] != '-') return bad();
    int sign = rest[0] == '-' ? -1 : 1;
    rest.remove_prefix(1);
    std::string digits;
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == ':' && i > 0 && i + 3 == rest.size()) continue;
      if (!absl::ascii_isdigit(static_cast<unsigned char>(rest[i]))) return bad();
      digits.push_back(rest[i]);
    }
    int hours = 0;
    int minutes = 0;
    if (digits.size() == 1 || digits.size() == 2) {
      hours = std::stoi(digits);
    } else if (digits.size() == 3 || digits.size() == 4) {
      hours = std::stoi(digits.substr(0, digits.size() - 2));
      minutes = std::stoi(digits.substr(digits.size() - 2));
    } else {
      return bad();
    }
    if (hours > 14 || minutes > 59) return bad();
    return absl::FixedTimeZone(sign * (hours * 3600 + minutes * 60));
  }
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown time zone \"", name, "\""));
  }
  return zone;
}

std::string Sha1Hex(absl::string_view data) { return DigestHex(EVP_sha1(), data); }

std::string Md5Hex(absl::string_view data) { return DigestHex(EVP_md5(), data); }

std::string Base64(absl::string_view data) { return absl::Base64Escape(data); }

}  // namespace internal
}  // namespace convey

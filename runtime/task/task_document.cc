#include "runtime/task/task_document.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/json/short_bytes.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {
namespace {

// Powers of ten a double holds exactly.
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A JSON number token (valid: checked when the data came in) read as
// simdjson's document reads it: an integer (no fraction or exponent) as an
// int64, anything else as the nearest double. A decimal of at most 19
// digits whose mantissa and power of ten are both exact in a double is one
// correctly rounded multiplication or division (Clinger's fast path);
// other decimals go to absl::SimpleAtod, which rounds correctly as simdjson
// does. False where only simdjson's own rules tell: integers of 19 digits
// or more (int64, uint64 or an error by their value) and "-0".
bool ReadNumberToken(absl::string_view token, bool* is_integer, int64_t* integer, double* real) {
  const char* p = token.data();
  const char* const end = p + token.size();
  const bool negative = p < end && *p == '-';
  p += negative;
  uint64_t mantissa = 0;
  int digits = 0;
  int exponent = 0;
  for (; p < end && *p >= '0' && *p <= '9'; ++p, ++digits) mantissa = mantissa * 10 + (*p - '0');
  *is_integer = p == end;
  if (*is_integer) {
    if (digits > 18 || (negative && mantissa == 0)) return false;
    *integer = negative ? -static_cast<int64_t>(mantissa) : static_cast<int64_t>(mantissa);
    return true;
  }
  if (*p == '.') {
    for (++p; p < end && *p >= '0' && *p <= '9'; ++p, ++digits, --exponent) {
      mantissa = mantissa * 10 + (*p - '0');
    }
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative_exponent = p < end && *p == '-';
    p += p < end && (*p == '-' || *p == '+');
    int written = 0;
    for (; p < end && *p >= '0' && *p <= '9' && written < 10000; ++p) {
      written = written * 10 + (*p - '0');
    }
    exponent += negative_exponent ? -written : written;
  }
  if (p == end && digits <= 19 && mantissa <= (uint64_t{1} << 53) && exponent >= -22 &&
      exponent <= 22) {
    double value = static_cast<double>(mantissa);
    value =
        exponent < 0 ? value / kExactPowersOfTen[-exponent] : value * kExactPowersOfTen[exponent];
    *real = negative ? -value : value;
    return true;
  }
  return absl::SimpleAtod(token, real) && std::isfinite(*real);
}

bool BeginsNumber(char c) { return c == '-' || (c >= '0' && c <= '9'); }

// The scalar at index entry `at` as ValueFromElement would give it.
// Missing for what needs the document: a container (its text is
// simdjson's), a string with escapes (decoded by simdjson), a number
// ReadNumberToken leaves to it.
Value ScalarValue(absl::string_view text, TextIndex index, size_t at) {
  switch (text[index.structurals[at]]) {
    case '{':
    case '[':
      return Value::Missing();
    case 't':
      return Value::Boolean(true);
    case 'f':
      return Value::Boolean(false);
    case 'n':
      return Value::Null();
    case '"': {
      const absl::string_view raw = ScalarTextAt(text, index, at);
      if (HasBackslash(raw.data(), raw.size())) return Value::Missing();
      return Value::String(std::string(raw));
    }
    default: {
      const absl::string_view token = ScalarTextAt(text, index, at);
      bool is_integer = false;
      int64_t integer = 0;
      double real = 0;
      if (!ReadNumberToken(token, &is_integer, &integer, &real)) return Value::Missing();
      // A JSON integer is written as its shortest decimal form: the token is
      // the text ValueFromElement would format.
      return is_integer ? Value::NumberText(static_cast<double>(integer), std::string(token))
                        : Value::Number(real);
    }
  }
}

}  // namespace

TextIndex TaskDocument::Index(absl::string_view text) {
  if (unreadable_) return TextIndex{};
  if (stage_ != Stage::kNone) return IndexOfLastParse(parser_);
  const size_t size = text.size();
  if (padded_capacity_ < size || padded_ == nullptr) {
    padded_.reset(new char[size + simdjson::SIMDJSON_PADDING]);
    std::memset(padded_.get() + size, 0, simdjson::SIMDJSON_PADDING);
    padded_capacity_ = size;
  }
  if (size > 0) std::memcpy(padded_.get(), text.data(), size);
  // As simdjson's parse sizes its parser (never below 32 bytes).
  const size_t capacity = size < 32 ? 32 : size;
  if ((parser_.implementation == nullptr || parser_.capacity() < capacity) &&
      parser_.allocate(capacity) != simdjson::SUCCESS) {
    std::abort();  // out of memory
  }
  if (size == 0 ||
      parser_.implementation->stage1(reinterpret_cast<const uint8_t*>(padded_.get()), size,
                                     simdjson::stage1_mode::regular) != simdjson::SUCCESS) {
    ParseEmptyObject();
    return TextIndex{};
  }
  stage_ = Stage::kIndexed;
  return IndexOfLastParse(parser_);
}

simdjson::dom::element TaskDocument::Document(absl::string_view text) {
  if (stage_ == Stage::kDocument) return doc_;
  Index(text);
  if (stage_ == Stage::kDocument) return doc_;  // unreadable: {}
  const size_t capacity = text.size() < 32 ? 32 : text.size();
  if (parser_.doc.capacity() < capacity && parser_.doc.allocate(capacity) != simdjson::SUCCESS) {
    std::abort();  // out of memory
  }
  // Stage 2 reads the padded copy stage 1 was given.
  if (parser_.implementation->stage2(parser_.doc) != simdjson::SUCCESS ||
      !parser_.doc.root().is_object()) {
    ParseEmptyObject();
    return doc_;
  }
  doc_ = parser_.doc.root();
  stage_ = Stage::kDocument;
  return doc_;
}

void TaskDocument::ParseEmptyObject() {
  if (parser_.parse("{}", 2).get(doc_) != simdjson::SUCCESS) std::abort();  // out of memory
  stage_ = Stage::kDocument;
  unreadable_ = true;
}

absl::Status TaskDocument::ParseReplacement(std::string* replacement) {
  Reset();  // whatever happens, the parser no longer holds the task's data
  simdjson::dom::element parsed;
  if (parser_.parse(*replacement).get(parsed) != simdjson::SUCCESS || !parsed.is_object()) {
    return absl::InvalidArgumentError(
        "the new data is not a JSON object (or nests deeper than 1024 levels)");
  }
  if (HasRepeatedKeys(parsed)) {
    std::string collapsed;
    if (absl::Status status = CollapseRepeatedKeys(*replacement, "the new data", &collapsed);
        !status.ok()) {
      return status;
    }
    replacement->swap(collapsed);
    if (parser_.parse(*replacement).get(parsed) != simdjson::SUCCESS) {
      return absl::InternalError("cannot parse the new data once its repeated keys collapsed");
    }
  }
  doc_ = parsed;
  stage_ = Stage::kDocument;
  return absl::OkStatus();
}

bool TaskDocument::FindThroughIndex(absl::string_view text, const Path& path, IndexLookup* lookup,
                                    size_t* at) {
  if (stage_ == Stage::kDocument || index_lookups_ >= kMaxIndexLookups) return false;
  ++index_lookups_;
  *lookup = FindInIndex(text, Index(text), path, at);
  return *lookup != IndexLookup::kUnknown;
}

Value TaskDocument::ValueAt(absl::string_view text, const Path& path) {
  IndexLookup lookup;
  size_t at = 0;
  if (FindThroughIndex(text, path, &lookup, &at)) {
    if (lookup == IndexLookup::kMissing) return Value::Missing();
    Value value = ScalarValue(text, IndexOfLastParse(parser_), at);
    if (!value.is_missing()) return value;
  }
  simdjson::dom::element element;
  if (!FindPath(Document(text), path, &element)) return Value::Missing();
  return ValueFromElement(element);
}

NumberLookup TaskDocument::NumberBeforeDocument(absl::string_view text, const Path& path,
                                                double* out) {
  IndexLookup lookup;
  size_t at = 0;
  if (FindThroughIndex(text, path, &lookup, &at)) {
    if (lookup == IndexLookup::kMissing) return NumberLookup::kMissing;
    const TextIndex index = IndexOfLastParse(parser_);
    if (!BeginsNumber(text[index.structurals[at]])) return NumberLookup::kOther;
    bool is_integer = false;
    int64_t integer = 0;
    if (ReadNumberToken(ScalarTextAt(text, index, at), &is_integer, &integer, out)) {
      if (is_integer) *out = static_cast<double>(integer);
      return NumberLookup::kNumber;
    }
  }
  Document(text);
  return NumberAt(text, path, out);
}

}  // namespace internal
}  // namespace convey

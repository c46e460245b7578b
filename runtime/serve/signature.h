// Request signatures of the platform's task API (semantics B9.1).
//
// URL-signed requests (`/api/{1,2}/json/{login}/{unixtime}/{signature}`):
//   signature = hex(sha1(unixtime + secret + body + secret))
// Header-signed requests (X-API-Login, X-API-Timestamp, X-API-Signature):
//   signature = hex(hmac_sha256(key = secret, timestamp + body))
// Checks compare in constant time (in the length of the expected value) and
// ignore the case of the hex digits a client sends.
#ifndef CONVEY_RUNTIME_SERVE_SIGNATURE_H_
#define CONVEY_RUNTIME_SERVE_SIGNATURE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convey::serve {

// Lower-case hex of SHA-1(unixtime + secret + body + secret).
std::string UrlSignature(absl::string_view unixtime, absl::string_view secret,
                         absl::string_view body);

// Lower-case hex of HMAC-SHA256(secret, timestamp + body).
std::string HeaderSignature(absl::string_view timestamp, absl::string_view secret,
                            absl::string_view body);

// Lower-case hex of SHA-1(text).
std::string Sha1Hex(absl::string_view text);

// True when `given` spells `expected_lower_hex` in hex digits of either
// case. The time taken depends only on the lengths, never on where the
// first difference is.
bool HexDigestEquals(absl::string_view expected_lower_hex, absl::string_view given);

// True when `given` is `expected` (a secret typed in, e.g. the web
// console's Basic auth). Both are hashed (SHA-256) and the digests compared
// in constant time, so the time taken tells neither where they differ nor
// the secret's length.
bool SecretEquals(absl::string_view expected, absl::string_view given);

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_SIGNATURE_H_

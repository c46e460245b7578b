// multipart/form-data bodies (RFC 7578), as `POST /api/2/upload` receives
// them: each part's header lines kept as sent, because the platform's
// upload signature is computed over them (seed 000's recipe:
// sha1(unixtime + secret + NORMALISED + secret), NORMALISED being, for each
// part in order, its header lines each followed by CRLF, then its content).
#ifndef CONVEY_RUNTIME_SERVE_MULTIPART_H_
#define CONVEY_RUNTIME_SERVE_MULTIPART_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convey::serve {

struct FormPart {
  std::vector<absl::string_view> header_lines;  // as sent, without CRLF
  absl::string_view name;                       // Content-Disposition's name
  absl::string_view filename;                   // and filename, if any
  absl::string_view content;
};

// Splits `body` by the boundary of `content_type`
// (`multipart/form-data; boundary=...`). Views into both. InvalidArgument
// naming what is wrong (no boundary, a part without its header end, no
// closing boundary).
absl::StatusOr<std::vector<FormPart>> ParseMultipart(absl::string_view content_type,
                                                     absl::string_view body);

// The text the platform's upload signature covers (see above).
std::string SignedFormText(const std::vector<FormPart>& parts);

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_MULTIPART_H_

// One libcurl easy transfer of the curl transport (curl_transport.cc): the
// request's validation, the options set on its easy handle, the callbacks
// that collect the answer and check every address connected to, and the
// status a failed transfer ends with. Kept apart from the I/O threads that
// drive the transfers so each file has one job; private to the transport.
#ifndef CONVEY_RUNTIME_HTTP_CURL_TRANSFER_H_
#define CONVEY_RUNTIME_HTTP_CURL_TRANSFER_H_

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "convey/http.h"
#include "runtime/http/address_policy.h"

namespace convey {
namespace internal {

// One request from Send to `done`.
struct CurlTransfer {
  HttpRequest request;
  HttpDone done;
  std::chrono::steady_clock::time_point sent;
  // The check to apply to every address connected to; null: none.
  const AddressCheck* check = nullptr;
  // Addresses the check is not asked about (request.allowed_networks).
  std::shared_ptr<const std::vector<IpNetwork>> allowed;
  // CA certificates trusted instead of the system's; null: the system's.
  const std::string* ca_pem = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  // The write callback refused the body for its size.
  bool too_large = false;
  // Bytes of the current answer's header lines; the header callback stops
  // the transfer past kMaxResponseHeaderBytes.
  size_t header_bytes = 0;
  bool headers_too_large = false;
  // Between an answer's status line and the empty line ending its headers.
  bool in_headers = false;
  // The first address the check refused.
  absl::Status refused;
  char error[CURL_ERROR_SIZE] = {};
};

// Validates the request and sets every option of it on t->easy, a reset easy
// handle; the callbacks it installs take `t`, which must outlive the transfer.
absl::Status ConfigureTransfer(CurlTransfer* t);

// The status a transfer that ended with `code` completes with; `os_errno` is
// CURLINFO_OS_ERRNO.
absl::Status TransferFailureStatus(const CurlTransfer& t, CURLcode code, long os_errno);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_HTTP_CURL_TRANSFER_H_

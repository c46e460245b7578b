// The libcurl transport with parts replaced, for tests: every reachable
// server here is on loopback and has no certificate the system trusts.
#ifndef CONVEY_RUNTIME_HTTP_CURL_TRANSPORT_INTERNAL_H_
#define CONVEY_RUNTIME_HTTP_CURL_TRANSPORT_INTERNAL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "convey/http.h"
#include "runtime/http/address_policy.h"

namespace convey {
namespace internal {

struct CurlTransportInternals {
  // Applied to the requests that set refuse_private_addresses.
  AddressCheck address_check = CheckPublicAddress;
  // PEM certificates of the CAs trusted instead of the system's; empty: the
  // system's.
  std::string ca_pem;
};

absl::StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransportWith(
    const CurlTransportOptions& options, CurlTransportInternals internals);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_HTTP_CURL_TRANSPORT_INTERNAL_H_

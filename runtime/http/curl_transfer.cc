#include "runtime/http/curl_transfer.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/base/quote.h"
#include "runtime/base/status_macros.h"

namespace convey {
namespace internal {
namespace {

constexpr long kMaxRedirects = 10;
// The header lines of one answer, all together. libcurl refuses a single
// line over 100 KiB on its own (as "out of memory").
constexpr size_t kMaxResponseHeaderBytes = 256 << 10;
// How much of a URL or header name an error message quotes.
constexpr size_t kQuoteLimit = 200;

std::string QuoteLong(absl::string_view text) { return Quote(text, kQuoteLimit); }

bool IsTokenChar(char c) {
  // RFC 9110 tchar.
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

absl::Status ValidateRequest(const HttpRequest& request) {
  if (!IsToken(request.method)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid HTTP method ", QuoteLong(request.method)));
  }
  if (!absl::StartsWithIgnoreCase(request.url, "http://") &&
      !absl::StartsWithIgnoreCase(request.url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported URL ", QuoteLong(request.url),
                                                   ": only http:// and https:// are allowed"));
  }
  if (request.url.find_first_of(std::string("\r\n\0 ", 4)) != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("malformed URL ", QuoteLong(request.url),
                                                   ": contains a space or a control character"));
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid header name ", QuoteLong(name)));
    }
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("header ", QuoteLong(name), ": value contains a line break or NUL"));
    }
  }
  return absl::OkStatus();
}

// CURLOPT_TIMEOUT_MS: whole milliseconds, rounded up (0 would mean none).
long TimeoutMs(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  return static_cast<long>(std::min<int64_t>(std::max<int64_t>(ms, 1), LONG_MAX));
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  size_t n = size * count;
  std::string& body = t->response.body;
  const size_t max = t->request.max_response_bytes;
  if (n > max || body.size() > max - n) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR: stops the transfer now.
  }
  if (body.empty() && n > 0) {
    curl_off_t length = -1;
    if (curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0 && static_cast<uint64_t>(length) <= max) {
      body.reserve(static_cast<size_t>(length));
    }
  }
  body.append(data, n);
  return n;
}

void SetContentType(absl::string_view value, std::string* content_type) {
  size_t semicolon = value.find(';');
  if (semicolon != absl::string_view::npos) value = value.substr(0, semicolon);
  *content_type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  size_t n = size * count;
  absl::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  HttpResponse& response = t->response;
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response begins (after a redirect or a 1xx): only the last
    // one's headers and body are the answer.
    t->header_bytes = 0;
    t->in_headers = true;
    response.headers.clear();
    response.body.clear();
    response.content_type.clear();
    return n;
  }
  t->header_bytes += n;
  if (t->header_bytes > kMaxResponseHeaderBytes) {
    t->headers_too_large = true;
    return 0;  // CURLE_WRITE_ERROR: stops the transfer now.
  }
  if (line.empty()) {
    t->in_headers = false;
    return n;
  }
  if ((line.front() == ' ' || line.front() == '\t')) {
    // Obsolete line folding continues the previous header's value.
    if (!response.headers.empty()) {
      std::string& value = response.headers.back().second;
      absl::StrAppend(&value, " ", absl::StripAsciiWhitespace(line));
      if (response.headers.back().first == "content-type") {
        SetContentType(value, &response.content_type);
      }
    }
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (name == "content-type") SetContentType(value, &response.content_type);
  response.headers.emplace_back(std::move(name), std::string(value));
  return n;
}

// The host of the URL being fetched (the current redirect hop's), as written
// there, without userinfo or port; empty when unknown. Points into libcurl's
// copy of the URL: valid during the callback that asks.
absl::string_view CurrentHost(const CurlTransfer& t) {
  char* url = nullptr;
  if (curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || url == nullptr) {
    return "";
  }
  absl::string_view rest(url);
  const size_t scheme = rest.find("://");
  if (scheme == absl::string_view::npos) return "";
  rest.remove_prefix(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != absl::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.find(':'));
}

// The allow-list first, then the check.
absl::Status CheckAddress(const CurlTransfer& t, const IpAddress& ip) {
  if (t.allowed != nullptr && InNetworks(*t.allowed, ip)) return absl::OkStatus();
  return (*t.check)(ip, CurrentHost(t));
}

// CURLOPT_OPENSOCKETFUNCTION: every address libcurl is about to connect to,
// after DNS and on every redirect hop, is checked before the socket exists.
curl_socket_t OpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<CurlTransfer*>(user);
  IpAddress ip;
  absl::Status status;
  if (!IpFromSockaddr(&address->addr, static_cast<socklen_t>(address->addrlen), &ip)) {
    status =
        absl::PermissionDeniedError(absl::StrCat("refused to connect to an address of family ",
                                                 address->family, " (refuse_private_addresses)"));
  } else {
    status = CheckAddress(*t, ip);
  }
  if (!status.ok()) {
    if (t->refused.ok()) t->refused = std::move(status);
    // libcurl tries the host's next address, if any.
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// CURLOPT_PREREQFUNCTION: runs for new and reused connections alike, so a
// pooled connection opened by a request without the check cannot carry one
// with it to a refused address.
int BeforeRequest(void* user, char* primary_ip, char* local_ip, int primary_port, int local_port) {
  auto* t = static_cast<CurlTransfer*>(user);
  IpAddress ip;
  absl::Status status;
  if (!IpFromString(primary_ip != nullptr ? primary_ip : "", &ip)) {
    status = absl::PermissionDeniedError(
        absl::StrCat("refused to send to ", QuoteLong(primary_ip != nullptr ? primary_ip : ""),
                     ": not an IP address (refuse_private_addresses)"));
  } else {
    status = CheckAddress(*t, ip);
  }
  if (status.ok()) return CURL_PREREQFUNC_OK;
  if (t->refused.ok()) t->refused = std::move(status);
  return CURL_PREREQFUNC_ABORT;
}

// libcurl's description of `code`, then its error buffer: the buffer holds
// the last failure it noted, which is not always the one that ended the
// transfer.
std::string Detail(const CurlTransfer& t, CURLcode code) {
  if (t.error[0] == '\0') return curl_easy_strerror(code);
  return absl::StrCat(curl_easy_strerror(code), " (", t.error, ")");
}

// Sets every option of one request on a reset easy handle.
class EasySetup {
 public:
  explicit EasySetup(CURL* easy) : easy_(easy) {}

  template <typename T>
  void Set(CURLoption option, T value, const char* name) {
    if (code_ != CURLE_OK) return;
    code_ = curl_easy_setopt(easy_, option, value);
    if (code_ != CURLE_OK) failed_ = name;
  }

  absl::Status status() const {
    if (code_ == CURLE_OK) return absl::OkStatus();
    return absl::InternalError(
        absl::StrCat("libcurl refused ", failed_, ": ", curl_easy_strerror(code_)));
  }

 private:
  CURL* easy_;
  CURLcode code_ = CURLE_OK;
  const char* failed_ = "";
};

}  // namespace

absl::Status TransferFailureStatus(const CurlTransfer& t, CURLcode code, long os_errno) {
  if (!t.refused.ok() && (code == CURLE_COULDNT_CONNECT || code == CURLE_ABORTED_BY_CALLBACK)) {
    return t.refused;
  }
  if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return absl::ResourceExhaustedError(absl::StrCat("response body exceeds max_response_bytes (",
                                                     t.request.max_response_bytes, " bytes)"));
  }
  // A header line over libcurl's own limit comes back as "out of memory"
  // while the headers arrive; either way it is the server's answer that is
  // too large, not the host.
  if (t.headers_too_large || (code == CURLE_OUT_OF_MEMORY && t.in_headers)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("response headers exceed ",
                     t.headers_too_large ? kMaxResponseHeaderBytes : CURL_MAX_HTTP_HEADER,
                     " bytes (", Detail(t, code), ")"));
  }
  const std::string detail = Detail(t, code);
  switch (code) {
    case CURLE_COULDNT_CONNECT: {
      const char* what = "could not connect";
      if (os_errno == ECONNREFUSED) what = "connection refused";
      if (os_errno == ENETUNREACH || os_errno == EHOSTUNREACH) {
        what = "host unreachable";
      }
      return absl::UnavailableError(absl::StrCat(what, ": ", detail));
    }
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return absl::UnavailableError(absl::StrCat("DNS: ", detail));
    case CURLE_GOT_NOTHING:
      return absl::UnavailableError(absl::StrCat("connection closed without an answer: ", detail));
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      return absl::UnavailableError(absl::StrCat(
          os_errno == ECONNRESET ? "connection reset" : "connection closed", ": ", detail));
    case CURLE_PARTIAL_FILE:
      return absl::UnavailableError(
          absl::StrCat("connection closed before the whole body arrived: ", detail));
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(absl::StrCat(
          "no complete answer within ", absl::FormatDuration(t.request.timeout), ": ", detail));
    case CURLE_URL_MALFORMAT:
      return absl::InvalidArgumentError(
          absl::StrCat("malformed URL ", QuoteLong(t.request.url), ": ", detail));
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported protocol (only http and https): ", detail));
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return absl::UnavailableError(absl::StrCat("TLS: ", detail));
    case CURLE_SSL_CERTPROBLEM:
      return absl::InvalidArgumentError(absl::StrCat("client certificate (cert_pem): ", detail));
    case CURLE_TOO_MANY_REDIRECTS:
      return absl::InternalError(absl::StrCat("more than ", kMaxRedirects, " redirects: ", detail));
    default:
      return absl::InternalError(detail);
  }
}

absl::Status ConfigureTransfer(CurlTransfer* t) {
  const HttpRequest& request = t->request;
  CONVEY_RETURN_IF_ERROR(ValidateRequest(request));
  if (request.timeout <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat("no time left for the request (timeout ",
                                                    absl::FormatDuration(request.timeout), ")"));
  }
  EasySetup s(t->easy);
  s.Set(CURLOPT_PRIVATE, static_cast<void*>(t), "CURLOPT_PRIVATE");
  s.Set(CURLOPT_ERRORBUFFER, t->error, "CURLOPT_ERRORBUFFER");
  s.Set(CURLOPT_URL, request.url.c_str(), "CURLOPT_URL");
  s.Set(CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR");
  s.Set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "CURLOPT_REDIR_PROTOCOLS_STR");
  s.Set(CURLOPT_NOSIGNAL, 1L, "CURLOPT_NOSIGNAL");
  s.Set(CURLOPT_TCP_NODELAY, 1L, "CURLOPT_TCP_NODELAY");
  s.Set(CURLOPT_TIMEOUT_MS, TimeoutMs(request.timeout), "CURLOPT_TIMEOUT_MS");
  s.Set(CURLOPT_WRITEFUNCTION, &OnBody, "CURLOPT_WRITEFUNCTION");
  s.Set(CURLOPT_WRITEDATA, static_cast<void*>(t), "CURLOPT_WRITEDATA");
  s.Set(CURLOPT_HEADERFUNCTION, &OnHeader, "CURLOPT_HEADERFUNCTION");
  s.Set(CURLOPT_HEADERDATA, static_cast<void*>(t), "CURLOPT_HEADERDATA");
  // Refuses at once a body whose Content-Length is over the cap; OnBody
  // enforces it on bodies of unknown length.
  if (request.max_response_bytes > 0) {
    s.Set(CURLOPT_MAXFILESIZE_LARGE,
          static_cast<curl_off_t>(
              std::min<uint64_t>(request.max_response_bytes, uint64_t{INT64_MAX})),
          "CURLOPT_MAXFILESIZE_LARGE");
  }
  if (request.follow_redirects) {
    s.Set(CURLOPT_FOLLOWLOCATION, 1L, "CURLOPT_FOLLOWLOCATION");
    s.Set(CURLOPT_MAXREDIRS, kMaxRedirects, "CURLOPT_MAXREDIRS");
  }

  const std::string& method = request.method;
  const bool has_body = !request.body.empty();
  bool send_body = false;
  if (method == "HEAD") {
    s.Set(CURLOPT_NOBODY, 1L, "CURLOPT_NOBODY");
  } else if (method == "GET" && !has_body) {
    s.Set(CURLOPT_HTTPGET, 1L, "CURLOPT_HTTPGET");
  } else if (method == "POST") {
    s.Set(CURLOPT_POST, 1L, "CURLOPT_POST");
    send_body = true;
  } else {
    s.Set(CURLOPT_CUSTOMREQUEST, method.c_str(), "CURLOPT_CUSTOMREQUEST");
    // PUT and PATCH always carry a Content-Length, if only 0.
    send_body = has_body || method == "PUT" || method == "PATCH";
  }
  if (send_body) {
    s.Set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()),
          "CURLOPT_POSTFIELDSIZE_LARGE");
    s.Set(CURLOPT_POSTFIELDS, request.body.data(), "CURLOPT_POSTFIELDS");
  }

  bool has_content_type = false;
  bool has_expect = false;
  for (const auto& [name, value] : request.headers) {
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      // libcurl writes it from the body; a second, different one would
      // corrupt the connection.
      continue;
    }
    if (absl::EqualsIgnoreCase(name, "accept-encoding") && !value.empty()) {
      // Through libcurl, which then also decodes what it asked for.
      s.Set(CURLOPT_ACCEPT_ENCODING, value.c_str(), "CURLOPT_ACCEPT_ENCODING");
      continue;
    }
    has_content_type |= absl::EqualsIgnoreCase(name, "content-type");
    has_expect |= absl::EqualsIgnoreCase(name, "expect");
    // "Name:" would remove a header; "Name;" sends it empty.
    std::string line = value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value);
    curl_slist* next = curl_slist_append(t->headers, line.c_str());
    if (next == nullptr) return absl::ResourceExhaustedError("out of memory");
    t->headers = next;
  }
  // Headers libcurl would add on its own: a form Content-Type for a body
  // sent without one, and "Expect: 100-continue" (a round trip) for large
  // bodies.
  std::vector<const char*> suppressed;
  if (send_body && !has_content_type) suppressed.push_back("Content-Type:");
  if (!has_expect) suppressed.push_back("Expect:");
  for (const char* line : suppressed) {
    curl_slist* next = curl_slist_append(t->headers, line);
    if (next == nullptr) return absl::ResourceExhaustedError("out of memory");
    t->headers = next;
  }
  s.Set(CURLOPT_HTTPHEADER, t->headers, "CURLOPT_HTTPHEADER");

  if (!request.client_cert_pem.empty()) {
    // One PEM holds the certificate and its key; libcurl copies the blob.
    curl_blob blob;
    blob.data = const_cast<char*>(request.client_cert_pem.data());
    blob.len = request.client_cert_pem.size();
    blob.flags = CURL_BLOB_COPY;
    s.Set(CURLOPT_SSLCERT_BLOB, &blob, "CURLOPT_SSLCERT_BLOB");
    s.Set(CURLOPT_SSLCERTTYPE, "PEM", "CURLOPT_SSLCERTTYPE");
    s.Set(CURLOPT_SSLKEY_BLOB, &blob, "CURLOPT_SSLKEY_BLOB");
    s.Set(CURLOPT_SSLKEYTYPE, "PEM", "CURLOPT_SSLKEYTYPE");
  }

  if (t->ca_pem != nullptr) {
    curl_blob blob;
    blob.data = const_cast<char*>(t->ca_pem->data());
    blob.len = t->ca_pem->size();
    blob.flags = CURL_BLOB_COPY;
    s.Set(CURLOPT_CAINFO_BLOB, &blob, "CURLOPT_CAINFO_BLOB");
  }

  if (t->check != nullptr) {
    s.Set(CURLOPT_OPENSOCKETFUNCTION, &OpenSocket, "CURLOPT_OPENSOCKETFUNCTION");
    s.Set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(t), "CURLOPT_OPENSOCKETDATA");
    s.Set(CURLOPT_PREREQFUNCTION, &BeforeRequest, "CURLOPT_PREREQFUNCTION");
    s.Set(CURLOPT_PREREQDATA, static_cast<void*>(t), "CURLOPT_PREREQDATA");
    // Through a proxy the checked address would be the proxy's, not the
    // destination's: such requests go direct.
    s.Set(CURLOPT_PROXY, "", "CURLOPT_PROXY");
  }
  return s.status();
}

}  // namespace internal
}  // namespace convey

// NewCurlTransport over TLS against a cpp-httplib server that requires a
// client certificate; the certificates are made by the test (a CA, the
// server's for 127.0.0.1, the client's).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/http.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "runtime/http/curl_transport_internal.h"

namespace convey {
namespace {

using ::testing::HasSubstr;

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

struct Identity {
  Key key;
  Cert cert;
};

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, const_cast<char*>(value));
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A P-256 key and a certificate for `cn`, signed by `issuer` (self-signed
// when null). `san`: a subjectAltName value, or null.
Identity MakeIdentity(const char* cn, const Identity* issuer, bool ca, const char* san) {
  static long serial = 1;
  Identity id;
  id.key.reset(EVP_EC_gen("P-256"));
  id.cert.reset(X509_new());
  X509* cert = id.cert.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, id.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  EVP_PKEY* issuer_key = issuer != nullptr ? issuer->key.get() : id.key.get();
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  EXPECT_TRUE(
      AddExtension(cert, issuer_cert, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE"));
  if (ca) {
    EXPECT_TRUE(AddExtension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign"));
  }
  if (san != nullptr) {
    EXPECT_TRUE(AddExtension(cert, issuer_cert, NID_subject_alt_name, san));
  }
  EXPECT_GT(X509_sign(cert, issuer_key, EVP_sha256()), 0);
  return id;
}

std::string Drain(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(size));
  BIO_free(bio);
  return text;
}

std::string CertPem(const Identity& id) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, id.cert.get());
  return Drain(bio);
}

std::string KeyPem(const Identity& id) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, id.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return Drain(bio);
}

absl::StatusOr<HttpResponse> Fetch(HttpTransport& transport, HttpRequest request) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  absl::StatusOr<HttpResponse> answer;
  transport.Send(std::move(request), [&](absl::StatusOr<HttpResponse> result) {
    std::lock_guard<std::mutex> lock(mu);
    answer = std::move(result);
    done = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return done; })) {
    return absl::InternalError("the test timed out");
  }
  return answer;
}

class CurlTransportTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = MakeIdentity("convey test CA", nullptr, true, nullptr);
    server_id_ = MakeIdentity("127.0.0.1", &ca_, false, "IP:127.0.0.1");
    client_id_ = MakeIdentity("convey-client", &ca_, false, nullptr);
    // The server requires a client certificate signed by the CA.
    X509_STORE* client_cas = X509_STORE_new();
    X509_STORE_add_cert(client_cas, ca_.cert.get());
    server_ = std::make_unique<httplib::SSLServer>(server_id_.cert.get(), server_id_.key.get(),
                                                   client_cas);
    ASSERT_TRUE(server_->is_valid());
    server_->Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("hello over TLS", "text/plain");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void TearDown() override {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }

  std::unique_ptr<HttpTransport> TransportTrustingCa() {
    internal::CurlTransportInternals internals;
    internals.ca_pem = CertPem(ca_);
    auto transport = internal::NewCurlTransportWith({}, std::move(internals));
    EXPECT_TRUE(transport.ok()) << transport.status();
    return transport.ok() ? std::move(*transport) : nullptr;
  }

  HttpRequest Hello() {
    HttpRequest request;
    request.method = "GET";
    request.url = absl::StrCat("https://127.0.0.1:", port_, "/hello");
    request.timeout = absl::Seconds(20);
    return request;
  }

  Identity ca_;
  Identity server_id_;
  Identity client_id_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = -1;
};

TEST_F(CurlTransportTlsTest, ClientCertificateAndKeyInOnePem) {
  auto transport = TransportTrustingCa();
  ASSERT_NE(transport, nullptr);
  // Either order of the two blocks.
  for (const std::string& pem :
       {CertPem(client_id_) + KeyPem(client_id_), KeyPem(client_id_) + CertPem(client_id_)}) {
    HttpRequest request = Hello();
    request.client_cert_pem = pem;
    absl::StatusOr<HttpResponse> response = Fetch(*transport, request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello over TLS");
  }
}

TEST_F(CurlTransportTlsTest, WithoutClientCertificateTheServerRefuses) {
  auto transport = TransportTrustingCa();
  ASSERT_NE(transport, nullptr);
  absl::StatusOr<HttpResponse> response = Fetch(*transport, Hello());
  ASSERT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
}

TEST_F(CurlTransportTlsTest, ClientCertificateFromAnotherCaIsRefused) {
  auto transport = TransportTrustingCa();
  ASSERT_NE(transport, nullptr);
  Identity other_ca = MakeIdentity("other CA", nullptr, true, nullptr);
  Identity stranger = MakeIdentity("stranger", &other_ca, false, nullptr);
  HttpRequest request = Hello();
  request.client_cert_pem = CertPem(stranger) + KeyPem(stranger);
  absl::StatusOr<HttpResponse> response = Fetch(*transport, request);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
}

TEST_F(CurlTransportTlsTest, KeyNotMatchingCertificateIsInvalidArgument) {
  auto transport = TransportTrustingCa();
  ASSERT_NE(transport, nullptr);
  Identity other = MakeIdentity("other", &ca_, false, nullptr);
  HttpRequest request = Hello();
  request.client_cert_pem = CertPem(client_id_) + KeyPem(other);
  absl::StatusOr<HttpResponse> response = Fetch(*transport, request);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("client certificate"));
}

// The system's CAs do not include the test CA: verification is on.
TEST_F(CurlTransportTlsTest, UntrustedServerCertificateIsRefused) {
  absl::StatusOr<std::unique_ptr<HttpTransport>> transport = NewCurlTransport();
  ASSERT_TRUE(transport.ok()) << transport.status();
  HttpRequest request = Hello();
  request.client_cert_pem = CertPem(client_id_) + KeyPem(client_id_);
  absl::StatusOr<HttpResponse> response = Fetch(**transport, request);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("TLS"));
}

}  // namespace
}  // namespace convey

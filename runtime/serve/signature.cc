#include "runtime/serve/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>

namespace convey::serve {
namespace {

std::string Hex(const unsigned char* digest, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace

std::string UrlSignature(absl::string_view unixtime, absl::string_view secret,
                         absl::string_view body) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha1(), nullptr);
  EVP_DigestUpdate(context, unixtime.data(), unixtime.size());
  EVP_DigestUpdate(context, secret.data(), secret.size());
  EVP_DigestUpdate(context, body.data(), body.size());
  EVP_DigestUpdate(context, secret.data(), secret.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(context, digest, &size);
  EVP_MD_CTX_free(context);
  return Hex(digest, size);
}

std::string Sha1Hex(absl::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr);
  return Hex(digest, size);
}

std::string HeaderSignature(absl::string_view timestamp, absl::string_view secret,
                            absl::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + body.size());
  message.append(timestamp.data(), timestamp.size());
  message.append(body.data(), body.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &size);
  return Hex(digest, size);
}

bool HexDigestEquals(absl::string_view expected_lower_hex, absl::string_view given) {
  if (given.size() != expected_lower_hex.size()) return false;
  // Fold A-F to a-f without branching on the value; any other byte keeps
  // its bits and so differs from every hex digit it could be confused with.
  uint8_t difference = 0;
  for (size_t i = 0; i < given.size(); ++i) {
    uint8_t c = static_cast<uint8_t>(given[i]);
    uint8_t is_upper_hex = static_cast<uint8_t>(((c - 'A') & 0xff) < 6);
    c = static_cast<uint8_t>(c | (is_upper_hex << 5));
    difference |= static_cast<uint8_t>(c ^ static_cast<uint8_t>(expected_lower_hex[i]));
  }
  return difference == 0;
}

bool SecretEquals(absl::string_view expected, absl::string_view given) {
  unsigned char expected_digest[EVP_MAX_MD_SIZE], given_digest[EVP_MAX_MD_SIZE];
  unsigned int expected_size = 0, given_size = 0;
  EVP_Digest(expected.data(), expected.size(), expected_digest, &expected_size, EVP_sha256(),
             nullptr);
  EVP_Digest(given.data(), given.size(), given_digest, &given_size, EVP_sha256(), nullptr);
  return expected_size == given_size &&
         CRYPTO_memcmp(expected_digest, given_digest, expected_size) == 0;
}

}  // namespace convey::serve

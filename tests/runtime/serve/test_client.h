// A blocking HTTP client for the server's tests: libcurl's easy API, one
// handle per Client so that its requests share a kept-alive connection.
#ifndef CONVEY_TESTS_RUNTIME_SERVE_TEST_CLIENT_H_
#define CONVEY_TESTS_RUNTIME_SERVE_TEST_CLIENT_H_

#include <curl/curl.h>

#include <string>
#include <vector>

namespace convey::serve {

struct Reply {
  long status = 0;
  std::string body;
  std::string headers;
  long connects = 0;  // new connections this request opened
  CURLcode code = CURLE_OK;
};

// One client: a curl handle, so that its requests share a connection.
class Client {
 public:
  Client() : curl_(Init()) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() { curl_easy_cleanup(curl_); }

  Reply Send(const std::string& method, const std::string& url, const std::string& body,
             const std::vector<std::string>& headers = {}) {
    Reply reply;
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_slist* list = curl_slist_append(nullptr, "Expect:");
    for (const std::string& header : headers) list = curl_slist_append(list, header.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Append);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &reply.headers);
    reply.code = curl_easy_perform(curl_);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &reply.connects);
    curl_slist_free_all(list);
    return reply;
  }

 private:
  static CURL* Init() {
    static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    return initialized ? curl_easy_init() : nullptr;
  }
  static size_t Append(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
  }
  CURL* curl_;
};

}  // namespace convey::serve

#endif  // CONVEY_TESTS_RUNTIME_SERVE_TEST_CLIENT_H_

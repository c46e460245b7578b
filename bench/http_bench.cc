// Throughput and latency of the libcurl transport (NewCurlTransport) against
// a local server answering {"ok":true}.
//
//   bazel run --config=opt //bench:http_bench            nginx (the default)
//   http_bench --server=httplib                          cpp-httplib (smoke)
//
// nginx runs as a child process (worker_processes 1, keep-alive without a
// request limit, no access log) on a free loopback port with a configuration
// generated in a temporary directory, and is stopped at the end.
//
// Benchmarks: requests/s with N requests in flight over kept-alive
// connections (KeepAlive), and with a new connection per request
// (NewConnection: a `Connection: close` header); p50/p99 latency counters
// in microseconds, and the CPU time this process spends per request (all its
// threads; nginx not included), which a busy machine disturbs less than the
// rates. One iteration is a batch of kBatch requests.
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "convey/engine.h"
#include "convey/http.h"
#include "httplib.h"
#include "tests/runtime/http/loopback_server.h"

namespace convey {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kBatch = 1000;
constexpr char kBody[] = "{\"ok\":true}";

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// nginx in the foreground as a child process, killed with the parent.
class Nginx {
 public:
  static constexpr const char* kBinary = "/usr/sbin/nginx";

  ~Nginx() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  absl::Status Start() {
    char dir[] = "/tmp/convey_http_bench.XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp: ", strerror(errno)));
    }
    dir_ = dir;
    port_ = FreeLoopbackPort();
    if (port_ < 0) return absl::UnavailableError("no free loopback port");
    // Debian's light flavour has no scgi and uwsgi modules, and so no such
    // directives.
    for (bool all_modules : {true, false}) {
      WriteConfig(all_modules);
      if (Run({"-t", "-q"}) == 0) break;
      if (!all_modules) {
        return absl::InternalError(
            absl::StrCat("nginx rejects the configuration: ", ReadFile(dir_ + "/error.log")));
      }
    }
    pid_ = Spawn({"-g", "daemon off;"});
    if (pid_ < 0) return absl::InternalError("cannot start nginx");
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!Accepts(port_)) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return absl::InternalError(absl::StrCat("nginx exited: ", ReadFile(dir_ + "/error.log")));
      }
      if (Clock::now() > deadline) {
        return absl::DeadlineExceededError("nginx did not start listening");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return absl::OkStatus();
  }

  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/"); }

 private:
  void WriteConfig(bool all_modules) {
    std::string user;
    if (geteuid() == 0) {
      // A root master would hand the worker to `nobody`; keep the current
      // user, who owns the temporary directory.
      const passwd* pw = getpwuid(geteuid());
      const group* gr = getgrgid(getegid());
      if (pw != nullptr && gr != nullptr) {
        user = absl::StrCat("user ", pw->pw_name, " ", gr->gr_name, ";\n");
      }
    }
    const std::string& d = dir_;
    std::ofstream out(d + "/nginx.conf");
    out << user << "worker_processes 1;\n"
        << "pid " << d << "/nginx.pid;\n"
        << "error_log " << d << "/error.log;\n"
        << "events { worker_connections 4096; }\n"
        << "http {\n"
        << "  access_log off;\n"
        << "  keepalive_requests 1000000;\n"
        << "  keepalive_timeout 75s;\n"
        << "  client_body_temp_path " << d << "/body;\n"
        << "  proxy_temp_path " << d << "/proxy;\n"
        << "  fastcgi_temp_path " << d << "/fastcgi;\n";
    if (all_modules) {
      out << "  scgi_temp_path " << d << "/scgi;\n"
          << "  uwsgi_temp_path " << d << "/uwsgi;\n";
    }
    out << "  server {\n"
        << "    listen 127.0.0.1:" << port_ << ";\n"
        << "    location / {\n"
        << "      default_type application/json;\n"
        << "      return 200 '" << kBody << "';\n"
        << "    }\n"
        << "  }\n"
        << "}\n";
  }

  pid_t Spawn(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        kBinary, "-p", dir_ + "/", "-c", dir_ + "/nginx.conf", "-e", dir_ + "/error.log"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      // Dies with the benchmark, however it ends.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
      }
      execv(kBinary, argv.data());
      _exit(127);
    }
    return pid;
  }

  // Runs nginx to completion; its exit status.
  int Run(const std::vector<std::string>& extra) {
    pid_t pid = Spawn(extra);
    if (pid < 0) return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_;
  int port_ = -1;
  pid_t pid_ = -1;
};

// Keeps `in_flight` requests outstanding until `count` have completed; each
// completion sends the next request from the transport's own thread.
class LoadGenerator {
 public:
  LoadGenerator(std::unique_ptr<HttpTransport> transport, HttpRequest request)
      : transport_(std::move(transport)), request_(std::move(request)) {}

  // The transport's threads run callbacks that use this object's members:
  // stop them first.
  ~LoadGenerator() { transport_.reset(); }

  void Run(int count, int in_flight, std::vector<double>* latencies_us) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      count_ = count;
      issued_ = 0;
      completed_ = 0;
      latencies_us_ = latencies_us;
    }
    for (int i = 0; i < in_flight; ++i) Issue();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return completed_ == count_; });
  }

  int errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  std::string first_error() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_error_;
  }

 private:
  void Issue() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (issued_ == count_) return;
      ++issued_;
    }
    Clock::time_point start = Clock::now();
    transport_->Send(
        request_, [this, start](absl::StatusOr<HttpResponse> r) { OnDone(start, std::move(r)); });
  }

  void OnDone(Clock::time_point start, absl::StatusOr<HttpResponse> result) {
    double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    bool finished;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (latencies_us_ != nullptr) latencies_us_->push_back(us);
      std::string error;
      if (!result.ok()) {
        error = result.status().ToString();
      } else if (result->status != 200 || result->body != kBody) {
        error =
            absl::StrCat("unexpected answer ", result->status, ": ", result->body.substr(0, 100));
      }
      if (!error.empty() && errors_++ == 0) first_error_ = error;
      finished = ++completed_ == count_;
    }
    if (finished) {
      cv_.notify_all();
    } else {
      Issue();
    }
  }

  std::unique_ptr<HttpTransport> transport_;
  const HttpRequest request_;
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
  int issued_ = 0;
  int completed_ = 0;
  int errors_ = 0;
  std::string first_error_;
  std::vector<double>* latencies_us_ = nullptr;
};

double ProcessCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  size_t rank = std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5));
  std::nth_element(values.begin(), values.begin() + rank, values.end());
  return values[rank];
}

void Load(benchmark::State& state, const std::string& url, bool new_connection, int in_flight,
          int io_threads) {
  CurlTransportOptions options;
  options.io_threads = io_threads;
  absl::StatusOr<std::unique_ptr<HttpTransport>> transport = NewCurlTransport(options);
  if (!transport.ok()) {
    state.SkipWithError(transport.status().ToString().c_str());
    return;
  }
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.timeout = absl::Seconds(30);
  if (new_connection) request.headers.emplace_back("Connection", "close");
  LoadGenerator load(std::move(*transport), request);
  std::vector<double> latencies_us;
  latencies_us.reserve(kBatch);
  // Opens the connections before the clock starts.
  load.Run(in_flight, in_flight, nullptr);
  std::vector<double> all_latencies;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    latencies_us.clear();
    load.Run(kBatch, in_flight, &latencies_us);
    all_latencies.insert(all_latencies.end(), latencies_us.begin(), latencies_us.end());
  }
  if (load.errors() > 0) {
    state.SkipWithError(
        absl::StrCat(load.errors(), " failed, first: ", load.first_error()).c_str());
    return;
  }
  const double requests = static_cast<double>(state.iterations()) * kBatch;
  state.SetItemsProcessed(state.iterations() * kBatch);
  // Every thread of this process (the transport's included), not nginx's.
  state.counters["cpu_us_per_req"] = (ProcessCpuSeconds() - cpu_start) * 1e6 / requests;
  state.counters["p50_us"] = Percentile(all_latencies, 0.50);
  state.counters["p99_us"] = Percentile(all_latencies, 0.99);
}

void Register(const std::string& url) {
  struct Case {
    bool new_connection;
    int in_flight;
    int io_threads;
  };
  const Case cases[] = {
      {false, 1, 1}, {false, 64, 1}, {false, 64, 2}, {true, 1, 1}, {true, 64, 1}, {true, 64, 2},
  };
  for (const Case& c : cases) {
    std::string name = absl::StrCat(c.new_connection ? "NewConnection" : "KeepAlive",
                                    "/in_flight:", c.in_flight, "/io_threads:", c.io_threads);
    benchmark::RegisterBenchmark(name.c_str(),
                                 [url, c](benchmark::State& state) {
                                   Load(state, url, c.new_connection, c.in_flight, c.io_threads);
                                 })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

// The same calls through the engine: tasks whose api logic GETs `url`,
// `in_flight` at once (the logic's max_threads). Items: calls; us_per_call
// at one in flight is the whole round trip as a task sees it.
void EngineLoad(benchmark::State& state, const std::string& url, bool new_connection,
                int in_flight) {
  EngineOptions options;
  options.worker_threads = 2;
  options.api_max_in_flight = std::max(in_flight, 1);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  if (!engine.ok()) {
    state.SkipWithError(engine.status().ToString().c_str());
    return;
  }
  const std::string headers = new_connection ? R"j("extra_headers":{"Connection":"close"},)j" : "";
  const std::string scheme = absl::StrCat(
      R"j({"obj_type":1,"obj_id":1,"title":"api bench","scheme":{"nodes":[
      {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"call"}]}},
      {"id":"call","obj_type":0,"condition":{"logics":[{"type":"api","method":"GET","url":")j",
      url, R"j(",)j", headers, R"j("max_threads":)j", in_flight,
      R"j(,"err_node_id":"failed"},{"type":"go","to_node_id":"done"}]}},
      {"id":"done","obj_type":2,"options":"{\"save_task\":false}","condition":{"logics":[]}},
      {"id":"failed","obj_type":2,"condition":{"logics":[]}}]}})j");
  if (absl::StatusOr<DeployResult> deployed = (*engine)->Deploy("bench.json", scheme);
      !deployed.ok()) {
    state.SkipWithError(deployed.status().ToString().c_str());
    return;
  }
  auto run = [&](int tasks) {
    for (int i = 0; i < tasks; ++i) {
      if (!(*engine)->CreateTask(1, "", "{}").ok()) return false;
    }
    return (*engine)->WaitIdle(absl::Seconds(120)).ok();
  };
  run(in_flight);  // opens the connections before the clock starts
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    if (!run(kBatch)) {
      state.SkipWithError("create or wait failed");
      return;
    }
  }
  absl::StatusOr<ProcessStats> stats = (*engine)->StatsFor(1);
  if (stats.ok() && stats->nodes[3].finished > 0) {
    state.SkipWithError(absl::StrCat(stats->nodes[3].finished, " calls failed").c_str());
    return;
  }
  const double calls = static_cast<double>(state.iterations()) * kBatch;
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["cpu_us_per_call"] = (ProcessCpuSeconds() - cpu_start) * 1e6 / calls;
  state.counters["us_per_call"] =
      benchmark::Counter(calls, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void RegisterEngine(const std::string& url) {
  for (bool new_connection : {false, true}) {
    for (int in_flight : {1, 64}) {
      std::string name = absl::StrCat("Engine", new_connection ? "NewConnection" : "KeepAlive",
                                      "/in_flight:", in_flight);
      benchmark::RegisterBenchmark(name.c_str(),
                                   [url, new_connection, in_flight](benchmark::State& state) {
                                     EngineLoad(state, url, new_connection, in_flight);
                                   })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

int Main(int argc, char** argv) {
  std::string server_kind = "nginx";
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--server=", 9) == 0) {
      server_kind = argv[i] + 9;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;

  std::unique_ptr<Nginx> nginx;
  std::unique_ptr<testing::LoopbackServer> httplib_server;
  std::string url;
  if (server_kind == "nginx") {
    nginx = std::make_unique<Nginx>();
    if (absl::Status status = nginx->Start(); !status.ok()) {
      std::fprintf(stderr, "http_bench: %s\n", status.ToString().c_str());
      return 1;
    }
    url = nginx->Url();
  } else if (server_kind == "httplib") {
    testing::LoopbackServer::Options options;
    // A kept-alive connection holds a worker: one for each in flight.
    options.threads = 80;
    httplib_server = std::make_unique<testing::LoopbackServer>(options);
    httplib_server->server().Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kBody, "application/json");
    });
    if (absl::Status status = httplib_server->Start(); !status.ok()) {
      std::fprintf(stderr, "http_bench: %s\n", status.ToString().c_str());
      return 1;
    }
    url = httplib_server->Url("/");
  } else {
    std::fprintf(stderr, "http_bench: --server must be nginx or httplib, got \"%s\"\n",
                 server_kind.c_str());
    return 1;
  }
  std::fprintf(stderr, "http_bench: %s at %s\n", server_kind.c_str(), url.c_str());
  Register(url);
  RegisterEngine(url);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace convey

int main(int argc, char** argv) { return convey::Main(argc, argv); }

#include "runtime/script/js_runner.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "js/Array.h"
#include "js/CompilationAndEvaluation.h"
#include "js/Conversions.h"
#include "js/ErrorReport.h"
#include "js/Exception.h"
#include "js/Initialization.h"
#include "js/Interrupt.h"
#include "js/JSON.h"
#include "js/MemoryCallbacks.h"
#include "js/SourceText.h"
#include "js/experimental/JSStencil.h"
#include "js/friend/JSMEnvironment.h"
#include "jsapi.h"
#include "jsfriendapi.h"
#include "runtime/base/status_macros.h"
#include "runtime/json/json_writer.h"
#include "runtime/script/libraries.h"
#include "runtime/script/watchdog.h"

namespace convey {
namespace internal {
namespace {

constexpr const char kReturnSlot[] = "__convey_return__";
// How often a running script's memory is checked.
constexpr int64_t kMemoryPollNanos = 10'000'000;

const JSClass kGlobalClass = {
    "global", JSCLASS_GLOBAL_FLAGS, &JS::DefaultGlobalClassOps, nullptr, nullptr, nullptr};

void InitOnce() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    if (!JS_Init()) std::abort();
    // SpiderMonkey's helper threads must stop before its static mutexes are
    // destroyed at exit; the main thread's context is gone by then
    // (thread_local), worker threads' contexts with their threads.
    std::atexit([] { JS_ShutDown(); });
  });
}

// The native stack a script may use on this thread: 2 MiB, less on a
// thread whose stack is small (SpiderMonkey reports "too much recursion"
// at the quota instead of overflowing).
size_t StackQuota() {
  size_t size = size_t{8} << 20;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* base = nullptr;
    pthread_attr_getstack(&attr, &base, &size);
    pthread_attr_destroy(&attr);
  }
  const size_t reserve = size_t{384} << 10;
  return std::min(size_t{2} << 20, size > 2 * reserve ? size - reserve : size / 2);
}

void AppendUtf8(const char16_t* chars, size_t length, std::string* out) {
  out->reserve(out->size() + length);
  for (size_t i = 0; i < length; ++i) {
    uint32_t c = chars[i];
    if (c < 0x80) {  // most of a task's JSON
      out->push_back(static_cast<char>(c));
      continue;
    }
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < length && chars[i + 1] >= 0xDC00 &&
        chars[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (chars[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;  // a lone surrogate (JSON.stringify escapes them; defensive)
    }
    AppendUtf8CodePoint(c, out);
  }
}

bool AppendStringified(const char16_t* chars, uint32_t length, void* out) {
  AppendUtf8(chars, length, static_cast<std::string*>(out));
  return true;
}

// Whether an integer literal's digits (sign apart) fit the JSON parser's
// 64-bit integers: up to 2^63 below zero, 2^64-1 above.
bool FitsParserIntegers(absl::string_view digits, bool negative) {
  const absl::string_view max = negative ? "9223372036854775808" : "18446744073709551615";
  return digits.size() < max.size() || (digits.size() == max.size() && digits <= max);
}

// JSON.stringify writes every number below 1e21 in plain digits, so 2e19
// comes out as 20000000000000000000, an integer literal past 2^64 that the
// JSON parser (64-bit integers) refuses. Such literals, outside strings, are
// rewritten with the same digits in exponent form: 2e19, 1.8446744073709552e19.
void SpellLongIntegersAsReals(std::string* json) {
  std::string out;
  bool changed = false;
  size_t i = 0;
  while (i < json->size()) {
    const char c = (*json)[i];
    if (c == '"') {  // a string, escapes included
      size_t j = i + 1;
      while (j < json->size() && (*json)[j] != '"') j += (*json)[j] == '\\' ? 2 : 1;
      out.append(*json, i, j + 1 - i);
      i = j + 1;
      continue;
    }
    if (c != '-' && !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      out.push_back(c);
      ++i;
      continue;
    }
    // A number: outside strings, only numbers hold digits or '-'.
    size_t j = i;
    while (j < json->size() && std::strchr("0123456789+-.eE", (*json)[j]) != nullptr) ++j;
    absl::string_view number(json->data() + i, j - i);
    const bool integer = number.find_first_of(".eE") == absl::string_view::npos;
    const bool negative = absl::ConsumePrefix(&number, "-");
    if (integer && !FitsParserIntegers(number, negative)) {
      const absl::string_view significant = number.substr(0, number.find_last_not_of('0') + 1);
      absl::StrAppend(&out, negative ? "-" : "", significant.substr(0, 1),
                      significant.size() > 1 ? "." : "", significant.substr(1), "e",
                      number.size() - 1);
      changed = true;
    } else {
      out.append(json->data() + i, j - i);
    }
    i = j;
  }
  if (changed) json->swap(out);
}

// "Error: boom (line 3, column 7)", from the pending exception (cleared).
std::string TakeExceptionText(JSContext* cx) {
  JS::ExceptionStack stack(cx);
  if (!JS::StealPendingExceptionStack(cx, &stack)) return "the script was terminated";
  JS::ErrorReportBuilder report(cx);
  if (!report.init(cx, stack, JS::ErrorReportBuilder::NoSideEffects)) {
    JS_ClearPendingException(cx);
    return "an exception that cannot be described";
  }
  std::string text = report.toStringResult() ? report.toStringResult().c_str() : "exception";
  if (const JSErrorReport* details = report.report(); details != nullptr && details->lineno > 0) {
    // Columns of thrown errors are 1-based already.
    absl::StrAppend(&text, " (line ", details->lineno, ", column ", details->column, ")");
  }
  return text;
}

// Gives `env` a `globalThis` of its own that inherits from the frozen
// global: libraries that keep state on the global object (core-js inside
// XRegExp) and scripts that write `globalThis.x` then work, per execution.
bool DefineOwnGlobalThis(JSContext* cx, JS::HandleObject env) {
  JS::RootedObject global(cx, JS::CurrentGlobalOrNull(cx));
  JS::RootedObject own(cx, JS_NewObjectWithGivenProto(cx, nullptr, global));
  return own != nullptr && JS_DefineProperty(cx, env, "globalThis", own, JSPROP_ENUMERATE);
}

// One JavaScript context, its frozen global and its compiled scripts; used
// by one thread only.
class Runner {
 public:
  // The calling thread's runner, made (again, if broken) as needed.
  static absl::StatusOr<Runner*> ForThisThread(const ScriptLimits& limits);
  ~Runner();

  ScriptOutcome Run(const ScriptSource& source, absl::string_view data_json,
                    const ScriptLimits& limits);
  // Compiles `text` (as is, or inside a function when `wrapped`).
  absl::Status Check(absl::string_view text, bool wrapped);
  // The context's GC heap and the memory its objects hold.
  size_t HeapBytes() const;
  // Over the heap limit even after a full collection: garbage of earlier
  // executions (each runs its libraries again) must not count.
  bool OverHeapLimit() {
    if (HeapBytes() <= heap_limit_bytes_) return false;
    JS_GC(cx_);
    return HeapBytes() > heap_limit_bytes_;
  }
  bool broken() const { return broken_; }

 private:
  Runner() = default;
  absl::Status Init(size_t heap_limit_bytes);
  JSScript* Compile(const std::string& text, bool wrapped, const char* file);
  JSScript* UserScript(const ScriptSource& source);
  JSScript* LibraryScript(const std::string& file);
  JS::Stencil* LibraryStencil(const std::string& file);
  // Runs `library` in a new global of the same compartment (its objects are
  // then used without wrappers) and gives its module.exports.
  bool LoadInOwnGlobal(const ScriptLibrary& library, JS::MutableHandleValue result);
  static bool Require(JSContext* cx, unsigned argc, JS::Value* vp);
  static bool OnInterrupt(JSContext* cx);

  JSContext* cx_ = nullptr;
  size_t heap_limit_bytes_ = 0;
  std::optional<JS::PersistentRootedObject> global_;
  std::optional<JS::PersistentRootedObject> memory_info_;  // js::gc::NewMemoryInfoObject
  // RegExp's legacy statics (RegExp.$1, lastMatch, ...) cannot be deleted
  // and hold the realm's last match: an empty match after each execution
  // keeps one task's data from the next.
  std::optional<JS::PersistentRootedScript> reset_regexp_statics_;
  std::optional<JS::PersistentRootedObject> reset_env_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<JS::PersistentRootedScript>> scripts_;
  absl::flat_hash_map<std::string, std::unique_ptr<JS::PersistentRootedScript>> libraries_;
  absl::flat_hash_map<std::string, RefPtr<JS::Stencil>> library_stencils_;
  // The execution in progress: its environment and the libraries it loaded.
  std::optional<JS::PersistentRootedObject> env_;
  std::optional<JS::PersistentRootedObject> loaded_;
  std::atomic<int64_t> deadline_ns_{ScriptWatchdog::kNever};
  bool timed_out_ = false;
  bool out_of_memory_ = false;
  bool broken_ = false;  // out of memory: made again before the next script
};

thread_local std::unique_ptr<Runner> this_thread_runner;

absl::StatusOr<Runner*> Runner::ForThisThread(const ScriptLimits& limits) {
  if (this_thread_runner != nullptr && !this_thread_runner->broken()) {
    return this_thread_runner.get();
  }
  this_thread_runner.reset();
  std::unique_ptr<Runner> runner(new Runner());
  CONVEY_RETURN_IF_ERROR(runner->Init(limits.heap_limit_bytes));
  this_thread_runner = std::move(runner);
  return this_thread_runner.get();
}

Runner::~Runner() {
  if (cx_ == nullptr) return;
  ScriptWatchdog::Get().Leave(cx_);
  env_.reset();
  loaded_.reset();
  memory_info_.reset();
  reset_regexp_statics_.reset();
  reset_env_.reset();
  scripts_.clear();
  libraries_.clear();
  library_stencils_.clear();
  global_.reset();
  JS_DestroyContext(cx_);
}

absl::Status Runner::Init(size_t heap_limit_bytes) {
  InitOnce();
  const auto failed = [](absl::string_view step) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot start the JavaScript engine: ", step, " failed (out of memory?)"));
  };
  cx_ = JS_NewContext(static_cast<uint32_t>(std::min<size_t>(heap_limit_bytes, UINT32_MAX)));
  if (cx_ == nullptr) return failed("JS_NewContext");
  heap_limit_bytes_ = heap_limit_bytes;
  JS_SetNativeStackQuota(cx_, StackQuota());
  if (!js::UseInternalJobQueues(cx_) || !JS::InitSelfHostedCode(cx_)) {
    return failed("its self-hosted code");
  }
  JS_SetContextPrivate(cx_, this);
  if (!JS_AddInterruptCallback(cx_, &Runner::OnInterrupt)) return failed("the interrupt callback");
  JS::SetOutOfMemoryCallback(
      cx_, [](JSContext*, void* runner) { static_cast<Runner*>(runner)->out_of_memory_ = true; },
      this);
  ScriptWatchdog::Get().Join(cx_);

  JS::RealmOptions options;
  global_.emplace(
      cx_, JS_NewGlobalObject(cx_, &kGlobalClass, nullptr, JS::FireOnNewGlobalHook, options));
  if (global_->get() == nullptr) return failed("the global object");
  JSAutoRealm realm(cx_, *global_);
  // Every standard class now: the global is frozen below, so none could be
  // resolved lazily later.
  if (!JS::InitRealmStandardClasses(cx_) ||
      !JS_DefineFunction(cx_, *global_, "require", &Runner::Require, 1, 0)) {
    return failed("the standard classes");
  }
  const absl::string_view lockdown = EmbeddedScriptText("convey/lockdown.js");
  JS::CompileOptions compile(cx_);
  compile.setFileAndLine("convey/lockdown.js", 1);
  JS::SourceText<mozilla::Utf8Unit> text;
  JS::RootedValue ignored(cx_);
  if (lockdown.empty() ||
      !text.init(cx_, lockdown.data(), lockdown.size(), JS::SourceOwnership::Borrowed) ||
      !JS::Evaluate(cx_, compile, text, &ignored)) {
    // A bug in convey, not in the user's script: say what it was.
    return absl::InternalError(
        absl::StrCat("cannot start the JavaScript engine: convey/lockdown.js: ",
                     JS_IsExceptionPending(cx_) ? TakeExceptionText(cx_) : "failed"));
  }
  env_.emplace(cx_);
  loaded_.emplace(cx_);
  memory_info_.emplace(cx_, js::gc::NewMemoryInfoObject(cx_));
  reset_regexp_statics_.emplace(cx_, Compile("/(?:)/.exec('');", false, "convey/reset.js"));
  reset_env_.emplace(cx_, JS::NewJSMEnvironment(cx_));
  if (memory_info_->get() == nullptr || reset_regexp_statics_->get() == nullptr ||
      reset_env_->get() == nullptr) {
    return failed("the context's helpers");
  }
  return absl::OkStatus();
}

bool Runner::OnInterrupt(JSContext* cx) {
  auto* runner = static_cast<Runner*>(JS_GetContextPrivate(cx));
  const int64_t deadline = runner->deadline_ns_.load(std::memory_order_relaxed);
  if (deadline == ScriptWatchdog::kNever) return true;  // a late request: no script runs
  if (absl::GetCurrentTimeNanos() < deadline) {
    if (!runner->OverHeapLimit()) return true;
    runner->out_of_memory_ = true;
    return false;
  }
  runner->timed_out_ = true;
  return false;  // ends the script with an uncatchable error
}

// The GC heap limit (JSGC_MAX_BYTES) does not count what objects hold
// outside it (array elements, string characters, buffers): a script filling
// `new Array(1e9)` would take gigabytes. The zone's malloc counter does.
size_t Runner::HeapBytes() const {
  JSAutoRealm realm(cx_, global_->get());
  size_t bytes = JS_GetGCParameter(cx_, JSGC_BYTES);
  JS::RootedObject info(cx_, memory_info_->get());
  JS::RootedValue zone(cx_);
  JS::RootedValue malloc_bytes(cx_);
  if (JS_GetProperty(cx_, info, "zone", &zone) && zone.isObject()) {
    JS::RootedObject zone_object(cx_, &zone.toObject());
    if (JS_GetProperty(cx_, zone_object, "mallocBytes", &malloc_bytes) && malloc_bytes.isNumber()) {
      bytes += static_cast<size_t>(malloc_bytes.toNumber());
    }
  }
  JS_ClearPendingException(cx_);
  return bytes;
}

JSScript* Runner::Compile(const std::string& text, bool wrapped, const char* file) {
  JS::CompileOptions options(cx_);
  options.setFileAndLine(file, 1).setNonSyntacticScope(true);
  // A source with a top-level `return` runs as a function body; the
  // prefix stays on line 1 so that line numbers are the user's.
  const std::string body =
      wrapped ? absl::StrCat("this.", kReturnSlot, " = (function () {", text, "\n}).call(this);")
              : std::string();
  const std::string& compiled = wrapped ? body : text;
  JS::SourceText<mozilla::Utf8Unit> source;
  if (!source.init(cx_, compiled.data(), compiled.size(), JS::SourceOwnership::Borrowed)) {
    return nullptr;
  }
  return JS::Compile(cx_, options, source);
}

absl::Status Runner::Check(absl::string_view text, bool wrapped) {
  JSAutoRealm realm(cx_, *global_);
  if (Compile(std::string(text), wrapped, "code") != nullptr) return absl::OkStatus();
  if (!JS_IsExceptionPending(cx_)) return absl::InternalError("the script cannot be compiled");
  JS::ExceptionStack stack(cx_);
  JS::StealPendingExceptionStack(cx_, &stack);
  JS::ErrorReportBuilder report(cx_);
  if (!report.init(cx_, stack, JS::ErrorReportBuilder::NoSideEffects) ||
      report.report() == nullptr) {
    return absl::InvalidArgumentError("the script does not compile");
  }
  const JSErrorReport& details = *report.report();
  return absl::InvalidArgumentError(absl::StrCat("line ", details.lineno, ", column ",
                                                 details.column + 1, ": ",
                                                 report.toStringResult().c_str()));
}

JSScript* Runner::UserScript(const ScriptSource& source) {
  auto it = scripts_.find(source.id());
  if (it != scripts_.end()) return it->second->get();
  // Sources of processes deployed and gone stay compiled; a bound keeps
  // a long-lived worker that sees many deploys from growing forever.
  if (scripts_.size() >= 4096) scripts_.clear();
  JSScript* script = Compile(source.text(), source.wrapped(), "code");
  if (script == nullptr) return nullptr;
  scripts_.emplace(source.id(), std::make_unique<JS::PersistentRootedScript>(cx_, script));
  return script;
}

JSScript* Runner::LibraryScript(const std::string& file) {
  auto it = libraries_.find(file);
  if (it != libraries_.end()) return it->second->get();
  const absl::string_view text = EmbeddedScriptText(file);
  if (text.empty()) return nullptr;
  const std::string name = absl::StrCat("libs/", file);
  JSScript* script = Compile(std::string(text), false, name.c_str());
  if (script == nullptr) return nullptr;
  libraries_.emplace(file, std::make_unique<JS::PersistentRootedScript>(cx_, script));
  return script;
}

JS::Stencil* Runner::LibraryStencil(const std::string& file) {
  auto it = library_stencils_.find(file);
  if (it != library_stencils_.end()) return it->second.get();
  const absl::string_view text = EmbeddedScriptText(file);
  if (text.empty()) return nullptr;
  const std::string name = absl::StrCat("libs/", file);
  JS::CompileOptions options(cx_);
  options.setFileAndLine(name.c_str(), 1);
  JS::SourceText<mozilla::Utf8Unit> source;
  if (!source.init(cx_, text.data(), text.size(), JS::SourceOwnership::Borrowed)) return nullptr;
  RefPtr<JS::Stencil> stencil = JS::CompileGlobalScriptToStencil(cx_, options, source);
  if (!stencil) return nullptr;
  JS::Stencil* raw = stencil.get();
  library_stencils_.emplace(file, std::move(stencil));
  return raw;
}

bool Runner::LoadInOwnGlobal(const ScriptLibrary& library, JS::MutableHandleValue result) {
  JS::RealmOptions options;
  options.creationOptions().setExistingCompartment(global_->get());
  JS::RootedObject global(
      cx_, JS_NewGlobalObject(cx_, &kGlobalClass, nullptr, JS::FireOnNewGlobalHook, options));
  if (global == nullptr) return false;
  JSAutoRealm realm(cx_, global);
  JS::RootedObject module(cx_, JS_NewPlainObject(cx_));
  JS::RootedObject exports(cx_, JS_NewPlainObject(cx_));
  if (module == nullptr || exports == nullptr ||
      !JS_DefineProperty(cx_, module, "exports", exports, JSPROP_ENUMERATE) ||
      !JS_DefineProperty(cx_, global, "module", module, JSPROP_ENUMERATE) ||
      !JS_DefineProperty(cx_, global, "exports", exports, JSPROP_ENUMERATE)) {
    return false;
  }
  for (const std::string& file : library.files) {
    JS::Stencil* stencil = LibraryStencil(file);
    if (stencil == nullptr) {
      if (!JS_IsExceptionPending(cx_)) {
        JS_ReportErrorUTF8(cx_, "library %s is not available", file.c_str());
      }
      return false;
    }
    const std::string name = absl::StrCat("libs/", file);
    JS::CompileOptions compile(cx_);
    compile.setFileAndLine(name.c_str(), 1);
    JS::InstantiateOptions instantiate(compile);
    JS::RootedScript script(cx_, JS::InstantiateGlobalStencil(cx_, instantiate, stencil));
    JS::RootedValue ignored(cx_);
    if (script == nullptr || !JS_ExecuteScript(cx_, script, &ignored)) return false;
  }
  return JS_GetProperty(cx_, module, "exports", result);
}

// require("libs/<name>.js"): the library, run once per execution.
bool Runner::Require(JSContext* cx, unsigned argc, JS::Value* vp) {
  JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
  auto* runner = static_cast<Runner*>(JS_GetContextPrivate(cx));
  JS::RootedString argument(cx, JS::ToString(cx, args.get(0)));
  if (argument == nullptr) return false;
  JS::UniqueChars name = JS_EncodeStringToUTF8(cx, argument);
  if (name == nullptr) return false;
  const ScriptLibrary* library = FindScriptLibrary(name.get());
  if (library == nullptr) {
    JS_ReportErrorUTF8(cx, "Cannot find module '%s': a Code node can require %s", name.get(),
                       ScriptLibraryList().c_str());
    return false;
  }
  JS::RootedObject loaded(cx, runner->loaded_->get());
  bool found = false;
  if (!JS_HasProperty(cx, loaded, library->name.c_str(), &found)) return false;
  if (found) return JS_GetProperty(cx, loaded, library->name.c_str(), args.rval());

  using Scope = ScriptLibrary::Scope;
  if (library->scope == Scope::kOwnGlobal) {
    JS::RootedValue exports(cx);
    if (!runner->LoadInOwnGlobal(*library, &exports) ||
        !JS_DefineProperty(cx, loaded, library->name.c_str(), exports, JSPROP_ENUMERATE)) {
      return false;
    }
    args.rval().set(exports);
    return true;
  }
  JS::RootedObject env(cx);
  if (library->scope == Scope::kCaller) {
    env = runner->env_->get();
  } else if (library->scope == Scope::kShared) {
    // Kept beside the loaded libraries, under a name no library has.
    const std::string key = absl::StrCat("env:", library->result_name);
    JS::RootedValue shared(cx);
    if (!JS_GetProperty(cx, loaded, key.c_str(), &shared)) return false;
    if (shared.isObject()) {
      env = &shared.toObject();
    } else {
      env = JS::NewJSMEnvironment(cx);
      if (env == nullptr || !JS_DefineProperty(cx, loaded, key.c_str(), env, 0)) return false;
    }
  } else {
    env = JS::NewJSMEnvironment(cx);
  }
  JS::RootedObject module(cx);
  if (env == nullptr || !DefineOwnGlobalThis(cx, env)) return false;
  if (library->scope == Scope::kModule) {
    module = JS_NewPlainObject(cx);
    JS::RootedObject exports(cx, JS_NewPlainObject(cx));
    if (module == nullptr || exports == nullptr ||
        !JS_DefineProperty(cx, module, "exports", exports, JSPROP_ENUMERATE) ||
        !JS_DefineProperty(cx, env, "module", module, JSPROP_ENUMERATE) ||
        !JS_DefineProperty(cx, env, "exports", exports, JSPROP_ENUMERATE)) {
      return false;
    }
  }
  for (const std::string& file : library->files) {
    JS::RootedScript script(cx, runner->LibraryScript(file));
    if (script == nullptr) {
      if (!JS_IsExceptionPending(cx)) {
        JS_ReportErrorUTF8(cx, "library %s is not available", file.c_str());
      }
      return false;
    }
    if (!JS::ExecuteInJSMEnvironment(cx, script, env)) return false;
  }
  JS::RootedValue result(cx);
  if (library->scope == Scope::kModule) {
    if (!JS_GetProperty(cx, module, "exports", &result)) return false;
  } else if (!library->result_name.empty()) {
    if (!JS_GetProperty(cx, env, library->result_name.c_str(), &result)) return false;
  }
  if (!JS_DefineProperty(cx, loaded, library->name.c_str(), result, JSPROP_ENUMERATE)) {
    return false;
  }
  args.rval().set(result);
  return true;
}

ScriptOutcome Runner::Run(const ScriptSource& source, absl::string_view data_json,
                          const ScriptLimits& limits) {
  ScriptOutcome outcome;
  JSAutoRealm realm(cx_, *global_);
  if (limits.heap_limit_bytes != heap_limit_bytes_) {
    JS_SetGCParameter(cx_, JSGC_MAX_BYTES,
                      static_cast<uint32_t>(std::min<size_t>(limits.heap_limit_bytes, UINT32_MAX)));
    heap_limit_bytes_ = limits.heap_limit_bytes;
  }
  timed_out_ = false;
  out_of_memory_ = false;
  const int64_t deadline =
      absl::GetCurrentTimeNanos() + absl::ToInt64Nanoseconds(limits.time_limit);
  deadline_ns_.store(deadline, std::memory_order_relaxed);
  ScriptWatchdog::Get().Arm(cx_, deadline, kMemoryPollNanos);

  bool ok = false;
  JS::RootedValue result(cx_);
  JS::RootedScript script(cx_, UserScript(source));
  JS::RootedObject env(cx_, JS::NewJSMEnvironment(cx_));
  JS::RootedObject loaded(cx_, JS_NewPlainObject(cx_));
  JS::RootedString text(
      cx_, JS_NewStringCopyUTF8N(cx_, JS::UTF8Chars(data_json.data(), data_json.size())));
  if (script != nullptr && env != nullptr && loaded != nullptr && text != nullptr &&
      JS_ParseJSON(cx_, text, &result) && DefineOwnGlobalThis(cx_, env) &&
      JS_DefineProperty(cx_, env, "data", result, JSPROP_ENUMERATE)) {
    env_->set(env);
    loaded_->set(loaded);
    ok = JS::ExecuteInJSMEnvironment(cx_, script, env);
    // Promise reactions (async functions) run to the end, also after an
    // error: none may be left for the next execution.
    JS::RootedValue exception(cx_);
    const bool failed_with_exception = !ok && JS_GetPendingException(cx_, &exception);
    if (failed_with_exception) JS_ClearPendingException(cx_);
    if (!timed_out_) js::RunJobs(cx_);
    if (failed_with_exception) JS_SetPendingException(cx_, exception);
    env_->set(nullptr);
    loaded_->set(nullptr);
    JS::RootedScript reset(cx_, reset_regexp_statics_->get());
    JS::RootedObject reset_env(cx_, reset_env_->get());
    if (!timed_out_) {
      JS::RootedValue pending(cx_);
      const bool had_exception = JS_GetPendingException(cx_, &pending);
      JS_ClearPendingException(cx_);
      (void)JS::ExecuteInJSMEnvironment(cx_, reset, reset_env);
      JS_ClearPendingException(cx_);
      if (had_exception) JS_SetPendingException(cx_, pending);
    }
  }
  // Interrupted jobs may still be queued: this context is not used again.
  if (timed_out_) {
    ok = false;
    broken_ = true;
  }
  result.setUndefined();
  if (ok && source.wrapped()) {
    ok = JS_GetProperty(cx_, env, kReturnSlot, &result);
    if (ok && !result.isObject()) result.setUndefined();
  }
  if (ok && result.isUndefined()) ok = JS_GetProperty(cx_, env, "data", &result);
  bool is_array = false;
  if (ok && result.isObject()) {
    JS::RootedObject object(cx_, &result.toObject());
    ok = JS::IsArrayObject(cx_, object, &is_array);
  }
  if (ok && (!result.isObject() || is_array || JS::IsCallable(&result.toObject()))) {
    outcome.kind = ScriptOutcome::Kind::kReturnFormat;
    outcome.message = absl::StrCat("data must be an object when the code ends, not ",
                                   is_array          ? "an array"
                                   : result.isNull() ? "null"
                                                     : JS::InformalValueTypeName(result));
  } else if (ok) {
    JS::RootedObject no_replacer(cx_);
    ok = JS_Stringify(cx_, &result, no_replacer, JS::NullHandleValue, &AppendStringified,
                      &outcome.data_json);
    if (ok) SpellLongIntegersAsReals(&outcome.data_json);
  }
  ScriptWatchdog::Get().Disarm(cx_);
  deadline_ns_.store(ScriptWatchdog::kNever, std::memory_order_relaxed);
  // A script shorter than a poll (one `new ArrayBuffer(1e9)`) is checked here.
  if (ok && OverHeapLimit()) {
    ok = false;
    out_of_memory_ = true;
  }
  if (ok) return outcome;

  outcome.data_json.clear();
  if (timed_out_) {
    JS_ClearPendingException(cx_);
    outcome.kind = ScriptOutcome::Kind::kTimeout;
    outcome.message = absl::StrCat("the code ran longer than ",
                                   absl::FormatDuration(limits.time_limit), " and was stopped");
  } else if (out_of_memory_ || JS_IsThrowingOutOfMemory(cx_)) {
    JS_ClearPendingException(cx_);
    outcome.kind = ScriptOutcome::Kind::kOutOfMemory;
    outcome.message = absl::StrCat("the code used more than ", limits.heap_limit_bytes >> 20,
                                   " MiB of memory and was stopped");
    broken_ = true;
  } else {
    outcome.kind = ScriptOutcome::Kind::kError;
    outcome.message = JS_IsExceptionPending(cx_) ? TakeExceptionText(cx_)
                                                 : std::string("the script was terminated");
  }
  return outcome;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ScriptSource>> ScriptSource::Check(absl::string_view source) {
  static std::atomic<uint64_t> next_id{1};
  CONVEY_ASSIGN_OR_RETURN(Runner* const runner, Runner::ForThisThread(ScriptLimits{}));
  bool wrapped = false;
  absl::Status status = runner->Check(source, false);
  // The platform runs code as a function body: a top-level `return` is
  // allowed there.
  if (!status.ok() && absl::StrContains(status.message(), "return not in function")) {
    wrapped = true;
    status = runner->Check(source, true);
  }
  CONVEY_RETURN_IF_ERROR(status);
  return std::shared_ptr<const ScriptSource>(
      new ScriptSource(std::string(source), wrapped, next_id.fetch_add(1)));
}

ScriptOutcome RunScript(const ScriptSource& script, absl::string_view data_json,
                        const ScriptLimits& limits) {
  absl::StatusOr<Runner*> runner = Runner::ForThisThread(limits);
  if (!runner.ok()) {
    ScriptOutcome outcome;
    outcome.kind = ScriptOutcome::Kind::kOutOfMemory;
    outcome.message = std::string(runner.status().message());
    return outcome;
  }
  return (*runner)->Run(script, data_json, limits);
}

size_t ScriptHeapBytes() {
  if (this_thread_runner == nullptr) return 0;
  return this_thread_runner->HeapBytes();
}

}  // namespace internal
}  // namespace convey

#include "components/outputs/stdout/stdout.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "components/common/blocking_call.h"
#include "components/outputs/stdout/envelope.h"

namespace junction::components {
namespace {

// Serializes batches of concurrent flow workers, and of several stdout
// outputs, so that their lines never interleave.
std::mutex& stdout_mutex() {
  static std::mutex mu;
  return mu;
}

// Blocking: writes everything, waiting out a non-blocking stdout that is full.
Status write_stdout(std::string_view data) {
  std::lock_guard lock(stdout_mutex());
  while (!data.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{STDOUT_FILENO, POLLOUT, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    int err = errno;
    std::string what = std::string("write stdout: ") + std::strerror(err);
    // Nobody reads any more: retrying cannot help.
    if (err == EPIPE || err == EBADF) return Error::permanent(what);
    if (err == ENOSPC || err == EDQUOT) return Error::overloaded("disk full: " + what);
    return Error::transient(what);
  }
  return ok_status();
}

class StdoutOutput final : public flow::Output {
 public:
  StdoutOutput(bool envelope, BlockingPool* blocking) : envelope_(envelope), blocking_(blocking) {}

  asio::awaitable<Status> open() override {
    if (!blocking_) co_return Error::permanent("stdout output needs a blocking pool");
    co_return ok_status();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    if (batch.empty()) co_return flow::WriteResult::all(0);
    std::string data;
    for (const auto& m : batch) {
      if (envelope_) {
        append_json_envelope(data, m);
      } else {
        data.append(m.payload.view());
      }
      data.push_back('\n');
    }
    Status s = co_await blocking_call(*blocking_, [d = &data] { return write_stdout(*d); });
    if (!s.ok()) co_return flow::WriteResult{0, std::move(s)};
    co_return flow::WriteResult::all(batch.size());
  }

 private:
  bool envelope_;
  BlockingPool* blocking_;
};

}  // namespace

void register_stdout_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "stdout";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Writes each message to standard output, one line per message.";
  info.doc =
      "`format: lines` writes the payload and a newline. `format: json_envelope` writes one JSON "
      "object per message: {\"id\", \"key\", \"timestamp_ms\", \"headers\", \"payload\"}, the "
      "payload embedded as JSON when it is JSON, else as a string.\n"
      "Example: `output: { stdout: { format: json_envelope } }`.";
  info.schema.fields = {
      {"format",
       spec::FieldType::kString,
       "lines",
       "lines: the payload; json_envelope: the whole message.",
       false,
       {"lines", "json_envelope"}},
  };
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    const auto& format = c.str("format");
    if (format != "lines" && format != "json_envelope") {
      return Error::invalid("format must be one of: lines, json_envelope");
    }
    return std::unique_ptr<flow::Output>(
        std::make_unique<StdoutOutput>(format == "json_envelope", ctx.blocking));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components

#include "components/inputs/stdin/stdin.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <optional>

#include "components/common/blocking_call.h"
#include "components/common/inflight.h"
#include "components/common/record_decoder.h"
#include "components/common/record_splitter.h"
#include "components/common/waker.h"

namespace junction::components {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kChunk = 64 * 1024;

struct StdinOptions {
  RecordFormat format = RecordFormat::kLines;
  size_t batch_size = 256;
  size_t max_line = 1 << 20;
  std::string flow;
  BlockingPool* blocking = nullptr;
};

// What ack callbacks reach, possibly after the input is gone.
struct Shared {
  InflightTracker inflight;
  Waker* waker = nullptr;  // set while run() runs
};

// Standard input, one message per line. A reader coroutine fills a one-chunk
// slot while the main loop emits, so that redeliveries and the end of the
// input are handled even while no new line arrives.
class StdinInput final : public flow::Input {
 public:
  explicit StdinInput(StdinOptions o)
      : opt_(std::move(o)), splitter_(opt_.max_line, /*csv_quotes=*/false), decoder_(opt_.format) {}

  ~StdinInput() override { release(); }

  asio::awaitable<Status> open() override {
    if (!opt_.blocking) co_return Error::permanent("stdin input needs a blocking pool");
    ex_ = co_await asio::this_coro::executor;
    // A duplicate, so that closing it (and asio owning it) leaves fd 0 alone.
    fd_ = ::fcntl(0, F_DUPFD_CLOEXEC, 0);
    if (fd_ < 0) co_return Error::permanent(std::string("stdin: ") + std::strerror(errno));
    flags_ = ::fcntl(fd_, F_GETFL);
    descriptor_.emplace(ex_);
    boost::system::error_code ec;
    descriptor_->assign(fd_, ec);
    // epoll refuses regular files (stdin redirected from a file): those are
    // read on the blocking pool instead, where a read never waits long.
    if (ec) descriptor_.reset();
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    Waker main(ex_);
    Waker reader_waker(ex_);
    main_ = &main;
    reader_waker_ = &reader_waker;
    shared_->waker = &main;
    asio::co_spawn(ex_, reader(), asio::detached);
    Status result = co_await loop(emitter);
    stopped_ = true;
    if (descriptor_) descriptor_->cancel();
    reader_waker.wake();
    while (!reader_done_) co_await main.sleep_until(Clock::time_point::max());
    shared_->waker = nullptr;
    main_ = nullptr;
    reader_waker_ = nullptr;
    co_return result;
  }

  void stop() override {
    stopped_ = true;
    if (descriptor_) descriptor_->cancel();
    if (main_) main_->wake();
    if (reader_waker_) reader_waker_->wake();
  }

  asio::awaitable<void> close() override {
    release();
    co_return;
  }

 private:
  void release() {
    if (fd_ < 0) return;
    // asio made the descriptor non-blocking, and that flag is shared with
    // fd 0 and whoever else holds this pipe or terminal: put it back.
    if (flags_ >= 0) ::fcntl(fd_, F_SETFL, flags_);
    if (descriptor_) {
      boost::system::error_code ec;
      descriptor_->close(ec);
      descriptor_.reset();
    } else {
      ::close(fd_);
    }
    fd_ = -1;
  }

  asio::awaitable<void> reader() {
    while (!stopped_ && !eof_) {
      if (chunk_) {
        co_await reader_waker_->sleep_until(Clock::time_point::max());
        continue;
      }
      std::string data;
      int err = 0;
      if (descriptor_) {
        data.resize(kChunk);
        boost::system::error_code ec;
        size_t n = co_await descriptor_->async_read_some(
            asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
        data.resize(n);
        if (ec == asio::error::eof) {
          eof_ = true;
        } else if (ec == asio::error::operation_aborted) {
          break;
        } else if (ec) {
          err = ec.value();
        }
      } else {
        auto r = co_await blocking_call(*opt_.blocking, [fd = fd_] { return read_blocking(fd); });
        err = r.first;
        data = std::move(r.second);
        if (!err && data.empty()) eof_ = true;
      }
      if (err) {
        read_error_ = Error::transient(std::string("read stdin: ") + std::strerror(err));
        eof_ = true;
      }
      if (!data.empty()) chunk_ = std::move(data);
      main_->wake();
    }
    reader_done_ = true;
    if (main_) main_->wake();
  }

  static std::pair<int, std::string> read_blocking(int fd) {
    std::string data(kChunk, '\0');
    for (;;) {
      ssize_t n = ::read(fd, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return {errno, {}};
      data.resize(static_cast<size_t>(n));
      return {0, std::move(data)};
    }
  }

  asio::awaitable<Status> loop(flow::Emitter& emitter) {
    while (!stopped_ && !emitter.stopping()) {
      MessageBatch out;
      for (auto& r : shared_->inflight.take_due(Clock::now(), opt_.batch_size)) {
        out.push_back(make_message(r.offset, std::move(r.payload), r.attempt));
      }
      if (out.empty() && chunk_) {
        std::vector<Record> records;
        std::vector<uint64_t> oversized;
        splitter_.feed(Buffer(std::move(*chunk_)), records, oversized);
        chunk_.reset();
        reader_waker_->wake();
        decode(records, oversized, out);
      } else if (out.empty() && eof_ && !tail_done_ && reader_done_) {
        tail_done_ = true;
        std::vector<Record> records;
        std::vector<uint64_t> oversized;
        if (auto tail = splitter_.finish(oversized)) records.push_back(std::move(*tail));
        decode(records, oversized, out);
      }
      if (!out.empty()) {
        if (!co_await emit_all(emitter, out)) break;
        continue;
      }
      if (tail_done_ && shared_->inflight.empty()) break;
      co_await main_->sleep_until(shared_->inflight.next_due().value_or(Clock::time_point::max()));
    }
    if (read_error_) co_return *read_error_;
    co_return ok_status();
  }

  void decode(std::vector<Record>& records, const std::vector<uint64_t>& oversized,
              MessageBatch& out) {
    for (uint64_t offset : oversized) {
      spdlog::error(
          "flow {}: stdin input: offset {}: line longer than max_line ({} bytes); skipped",
          opt_.flow, offset, opt_.max_line);
    }
    for (auto& r : records) {
      auto payload = decoder_.decode(r.bytes);
      if (!payload.ok()) {
        spdlog::error("flow {}: stdin input: offset {}: {}; skipped", opt_.flow, r.offset,
                      payload.error().message());
        continue;
      }
      if (!*payload) continue;
      shared_->inflight.add(r.offset, **payload);
      out.push_back(make_message(r.offset, std::move(**payload), 1));
    }
  }

  Message make_message(uint64_t offset, Buffer payload, int attempt) {
    Message m;
    m.payload = std::move(payload);
    if (attempt > 1) m.headers.set("attempts", std::to_string(attempt));
    m.timestamp_ms = now_ms();
    m.id = new_message_id();
    m.ack = Ack([shared = shared_, offset, ex = ex_](Status s) {
      asio::post(ex, [shared, offset, s = std::move(s)] {
        if (s.ok()) {
          shared->inflight.settled_ok(offset);
        } else {
          shared->inflight.settled_failed(offset, Clock::now());
        }
        if (shared->waker) shared->waker->wake();
      });
    });
    return m;
  }

  asio::awaitable<bool> emit_all(flow::Emitter& emitter, MessageBatch& msgs) {
    for (size_t i = 0; i < msgs.size(); i += opt_.batch_size) {
      if (stopped_) co_return false;
      size_t end = std::min(msgs.size(), i + opt_.batch_size);
      MessageBatch batch(std::make_move_iterator(msgs.begin() + static_cast<ptrdiff_t>(i)),
                         std::make_move_iterator(msgs.begin() + static_cast<ptrdiff_t>(end)));
      Status s = co_await emitter.emit(std::move(batch));
      if (!s.ok()) co_return false;
    }
    co_return true;
  }

  StdinOptions opt_;
  RecordSplitter splitter_;
  RecordDecoder decoder_;
  asio::any_io_executor ex_;
  int fd_ = -1;
  int flags_ = -1;
  std::optional<asio::posix::stream_descriptor> descriptor_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  Waker* main_ = nullptr;
  Waker* reader_waker_ = nullptr;
  std::optional<std::string> chunk_;  // read, not yet split
  std::optional<Error> read_error_;
  bool stopped_ = false;
  bool eof_ = false;
  bool reader_done_ = false;
  bool tail_done_ = false;
};

}  // namespace

void register_stdin_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "stdin";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Reads standard input, one message per line, until its end.";
  info.doc =
      "Lines end with \\n or \\r\\n. With `format: json` each non-blank line must be a JSON "
      "document; blank lines are skipped, and a line that is not JSON is logged and skipped. A "
      "line longer than `max_line` is logged and skipped. A message that fails downstream is "
      "redelivered after a backoff (100ms doubling up to 5s) with an `attempts` header. The "
      "input ends at the end of standard input, once every message was settled.\n"
      "Example: `input: { stdin: { format: json } }`.";
  info.schema.fields = {
      {"format",
       spec::FieldType::kString,
       "lines",
       "How lines become messages.",
       false,
       {"lines", "json"}},
      {"batch_size", spec::FieldType::kInt, "256", "Most messages per emitted batch."},
      {"max_line", spec::FieldType::kSize, "1MiB",
       "Longest line; longer ones are logged and skipped."},
  };
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    StdinOptions o;
    auto format = parse_record_format(c.str("format"));
    if (!format || *format == RecordFormat::kCsv) {
      return Error::invalid("format must be one of: lines, json");
    }
    o.format = *format;
    int64_t batch = c.integer("batch_size");
    if (batch < 1 || batch > 65536) return Error::invalid("batch_size must be between 1 and 65536");
    o.batch_size = static_cast<size_t>(batch);
    uint64_t max_line = c.size("max_line");
    if (max_line < 1 || max_line > (uint64_t{1} << 30)) {
      return Error::invalid("max_line must be between 1 byte and 1GiB");
    }
    o.max_line = static_cast<size_t>(max_line);
    o.flow = ctx.flow;
    o.blocking = ctx.blocking;
    return std::unique_ptr<flow::Input>(std::make_unique<StdinInput>(std::move(o)));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components

#include "components/processors/batch/batch.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

namespace junction::components {
namespace {

namespace json = boost::json;

constexpr int64_t kMaxCount = 1'000'000;

enum class BatchFormat { kArray, kLines };

// Tells whether a payload is one JSON text without building it: nothing is
// allocated per value, and depth costs only the parser's own small stack.
class JsonChecker {
 public:
  JsonChecker() : parser_(options()) {}

  bool valid(std::string_view text) {
    parser_.reset();
    boost::system::error_code ec;
    size_t used = parser_.write_some(false, text.data(), text.size(), ec);
    return !ec && used == text.size();
  }

 private:
  struct Handler {
    using ec_t = boost::system::error_code;
    static constexpr size_t max_object_size = size_t(-1);
    static constexpr size_t max_array_size = size_t(-1);
    static constexpr size_t max_key_size = size_t(-1);
    static constexpr size_t max_string_size = size_t(-1);
    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_array_begin(ec_t&) { return true; }
    bool on_array_end(size_t, ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return true; }
    bool on_object_end(size_t, ec_t&) { return true; }
    bool on_string_part(json::string_view, size_t, ec_t&) { return true; }
    bool on_string(json::string_view, size_t, ec_t&) { return true; }
    bool on_key_part(json::string_view, size_t, ec_t&) { return true; }
    bool on_key(json::string_view, size_t, ec_t&) { return true; }
    bool on_number_part(json::string_view, ec_t&) { return true; }
    bool on_int64(int64_t, json::string_view, ec_t&) { return true; }
    bool on_uint64(uint64_t, json::string_view, ec_t&) { return true; }
    bool on_double(double, json::string_view, ec_t&) { return true; }
    bool on_bool(bool, ec_t&) { return true; }
    bool on_null(ec_t&) { return true; }
    bool on_comment_part(json::string_view, ec_t&) { return true; }
    bool on_comment(json::string_view, ec_t&) { return true; }
  };

  static json::parse_options options() {
    json::parse_options o;
    o.max_depth = 100'000;  // Boost.JSON's default of 32 would turn deep JSON into strings
    return o;
  }

  json::basic_parser<Handler> parser_;
};

// Groups messages into one. Memory is bounded by `count` and `bytes`: a batch
// is emitted as soon as either is reached.
//
// Time-based flushing: flush_interval() returns `period` and flush() emits
// whatever is pending. The flow also calls flush() when it drains, and then
// everything must go out, so flush() cannot hold back young batches. A
// partial batch therefore waits *at most* `period` (sometimes less, when it
// started between two ticks) — a latency bound, not an exact delay.
class BatchProcessor final : public flow::Processor {
 public:
  BatchProcessor(size_t count, uint64_t bytes, Duration period, BatchFormat format)
      : count_(count), bytes_(bytes), period_(period), format_(format) {}

  Status process(Message& msg, MessageBatch& out) override {
    // A message that would push the batch over `bytes` starts the next one;
    // a message larger than `bytes` on its own goes out as a batch of one.
    if (bytes_ > 0 && !pending_.empty() && pending_bytes_ + msg.payload.size() > bytes_) {
      emit(out);
    }
    pending_bytes_ += msg.payload.size();
    pending_.push_back(std::move(msg));
    if (pending_.size() >= count_ || (bytes_ > 0 && pending_bytes_ >= bytes_)) emit(out);
    return ok_status();
  }

  std::optional<Duration> flush_interval() const override { return period_; }

  void flush(MessageBatch& out) override {
    if (!pending_.empty()) emit(out);
  }

 private:
  void emit(MessageBatch& out) {
    Message combined;
    combined.payload = Buffer(format_ == BatchFormat::kArray ? as_array() : as_lines());
    Message& first = pending_.front();
    combined.key = std::move(first.key);
    combined.headers = std::move(first.headers);
    combined.headers.set("batch-count", std::to_string(pending_.size()));
    combined.timestamp_ms = first.timestamp_ms;
    combined.id = new_message_id();
    combined.routes = std::move(first.routes);

    // The batch answers for each of its parts: whoever waits for a part's
    // reply gets the batch's, once the batch (and so the part) is settled.
    std::vector<Ack> acks;
    acks.reserve(pending_.size());
    for (auto& m : pending_) {
      acks.push_back(std::move(m.ack));
      combined.reply.merge(m.reply);
    }
    combined.ack = Ack::join(std::move(acks));

    out.push_back(std::move(combined));
    pending_.clear();
    pending_bytes_ = 0;
  }

  // JSON payloads are embedded as they are (validated, not re-serialized, so
  // numbers keep their spelling); anything else becomes a JSON string.
  std::string as_array() {
    std::string text;
    text.reserve(pending_bytes_ + pending_.size() * 3 + 2);
    text += '[';
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (i) text += ',';
      std::string_view payload = trim(pending_[i].payload.view());
      if (!payload.empty() && checker_.valid(payload)) {
        text += payload;
      } else {
        text += json::serialize(json::string_view(pending_[i].payload.view()));
      }
    }
    text += ']';
    return text;
  }

  std::string as_lines() const {
    std::string text;
    text.reserve(pending_bytes_ + pending_.size());
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (i) text += '\n';
      text += pending_[i].payload.view();
    }
    return text;
  }

  static std::string_view trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n";
    auto begin = s.find_first_not_of(kSpace);
    if (begin == std::string_view::npos) return {};
    return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
  }

  size_t count_;
  uint64_t bytes_;
  Duration period_;
  BatchFormat format_;
  MessageBatch pending_;
  uint64_t pending_bytes_ = 0;
  JsonChecker checker_;
};

}  // namespace

void register_batch_processor(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "batch";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Groups messages into one: a JSON array or newline-separated lines.";
  info.doc =
      "A batch goes out when it holds `count` messages, when its payloads reach `bytes`, or at "
      "the latest `period` after it started (and when the flow drains). `format: array` makes a "
      "JSON array of the payloads (JSON payloads kept as JSON, others as JSON strings); `format: "
      "lines` joins them with newlines. The batch keeps the first message's key and headers and "
      "adds `batch-count`; it is acknowledged when the batch is, and so are all its members.\n"
      "Example: `- batch: { count: 500, period: 2s, format: lines }`.";
  info.schema.fields = {
      {"count", spec::FieldType::kInt, "100", "Messages per batch (1 to 1000000)."},
      {"bytes", spec::FieldType::kSize, "0",
       "Emit once the payloads reach this size; 0 = no size limit."},
      {"period", spec::FieldType::kDuration, "1s", "Longest a partial batch waits; above 0."},
      {"format",
       spec::FieldType::kString,
       "array",
       "array (a JSON array) or lines.",
       false,
       {"array", "lines"}},
  };
  info.make_processor = [](const spec::Config& c,
                           flow::ComponentContext&) -> Result<std::unique_ptr<flow::Processor>> {
    int64_t count = c.integer("count");
    if (count < 1 || count > kMaxCount) {
      return Error::invalid(
          fmt::format("count must be between 1 and {}, not {}", kMaxCount, count));
    }
    if (c.duration("period") <= Duration::zero()) {
      return Error::invalid("period must be above 0: it bounds how long a partial batch waits");
    }
    const std::string& format = c.str("format");
    if (format != "array" && format != "lines") {
      return Error::invalid("format must be 'array' or 'lines', not '" + format + "'");
    }
    return std::unique_ptr<flow::Processor>(std::make_unique<BatchProcessor>(
        static_cast<size_t>(count), c.size("bytes"), c.duration("period"),
        format == "array" ? BatchFormat::kArray : BatchFormat::kLines));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components

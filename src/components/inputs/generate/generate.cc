#include "components/inputs/generate/generate.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "components/common/template.h"

namespace junction::components {
namespace {

// Makes messages from a template: for demos, tests and load generation.
class GenerateInput final : public flow::Input {
 public:
  GenerateInput(Template payload, Duration interval, int64_t count, int64_t batch_size)
      : payload_(std::move(payload)), interval_(interval), count_(count), batch_size_(batch_size) {}

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    timer_.emplace(co_await asio::this_coro::executor);
    int64_t made = 0;
    auto next = std::chrono::steady_clock::now();
    std::string text;
    while (!stopped_ && !emitter.stopping() && (count_ == 0 || made < count_)) {
      if (interval_ > Duration::zero()) {
        next += interval_;
        timer_->expires_at(next);
        boost::system::error_code ec;
        co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopped_) break;
      }
      int64_t n = batch_size_;
      if (count_ > 0) n = std::min(n, count_ - made);
      MessageBatch batch;
      batch.reserve(static_cast<size_t>(n));
      int64_t ts = now_ms();
      for (int64_t i = 0; i < n; ++i) {
        payload_.render(text);
        Message m;
        m.payload = Buffer(text);
        m.timestamp_ms = ts;
        batch.push_back(std::move(m));
      }
      made += n;
      Status s = co_await emitter.emit(std::move(batch));
      if (!s.ok()) break;
    }
    co_return ok_status();
  }

  void stop() override {
    stopped_ = true;
    if (timer_) timer_->cancel();
  }

 private:
  Template payload_;
  Duration interval_;
  int64_t count_;
  int64_t batch_size_;
  bool stopped_ = false;
  std::optional<asio::steady_timer> timer_;
};

}  // namespace

void register_generate_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "generate";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Makes messages from a template at an interval: demos, tests and load.";
  info.doc =
      "The template may use {{counter}}, {{timestamp_ms}}, {{id}} and {{random}}.\n"
      "Example: `input: { generate: '{\"order_id\": {{counter}}}', interval: 100ms, count: 10 }`.\n"
      "With `interval: 0` it produces as fast as the flow takes messages, `batch_size` at a "
      "time.";
  info.schema.primary = "template";
  info.schema.fields = {
      {"template", spec::FieldType::kString, R"('{"n": {{counter}}}')", "Payload template."},
      {"interval", spec::FieldType::kDuration, "1s", "Time between batches; 0 = no pause."},
      {"count", spec::FieldType::kInt, "0", "Messages to make, then stop; 0 = no end."},
      {"batch_size", spec::FieldType::kInt, "1", "Messages per batch."},
  };
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext&) -> Result<std::unique_ptr<flow::Input>> {
    auto t = Template::parse(c.str("template"));
    if (!t.ok()) return t.error().wrap("template");
    if (c.integer("count") < 0) return Error::invalid("count must be 0 or more");
    if (c.integer("batch_size") < 1 || c.integer("batch_size") > 65536) {
      return Error::invalid("batch_size must be between 1 and 65536");
    }
    return std::unique_ptr<flow::Input>(std::make_unique<GenerateInput>(
        std::move(t).value(), c.duration("interval"), c.integer("count"), c.integer("batch_size")));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components

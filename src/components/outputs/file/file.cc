#include "components/outputs/file/file.h"

#include <memory>

#include "components/common/blocking_call.h"
#include "components/outputs/file/file_sink.h"
#include "components/outputs/file/path_template.h"
#include "components/outputs/stdout/envelope.h"

namespace junction::components {
namespace {

// Appends payloads as lines. All file I/O runs on the blocking pool, one call
// per batch; a batch counts as written once it is on disk (fsync).
class FileOutput final : public flow::Output {
 public:
  FileOutput(PathTemplate path, FileSink::Options o, bool envelope, BlockingPool* blocking)
      : path_(std::move(path)), sink_(o), envelope_(envelope), blocking_(blocking) {}

  asio::awaitable<Status> open() override {
    if (!blocking_) co_return Error::permanent("file output needs a blocking pool");
    std::string path = path_.render(now_ms());
    co_return co_await blocking_call(*blocking_,
                                     [sink = &sink_, p = &path] { return sink->open(*p); });
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    if (batch.empty()) co_return flow::WriteResult::all(0);
    size_t bytes = 0;
    for (const auto& m : batch) bytes += m.payload.size() + 1;
    std::string data;
    data.reserve(bytes);
    for (const auto& m : batch) {
      if (envelope_) {
        append_json_envelope(data, m);
      } else {
        data.append(m.payload.view());
      }
      data.push_back('\n');
    }
    std::string path = path_.render(now_ms());
    Status s = co_await blocking_call(
        *blocking_, [sink = &sink_, p = &path, d = &data] { return sink->append(*p, *d); });
    if (!s.ok()) co_return flow::WriteResult{0, std::move(s)};
    co_return flow::WriteResult::all(batch.size());
  }

  asio::awaitable<void> close() override {
    if (!blocking_) co_return;
    co_await blocking_call(*blocking_, [sink = &sink_] { sink->close(); });
  }

 private:
  PathTemplate path_;
  FileSink sink_;  // the flow awaits every call, so it outlives them
  bool envelope_;
  BlockingPool* blocking_;
};

}  // namespace

void register_file_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "file";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Appends each message's payload as a line to a file, with rotation.";
  info.doc =
      "Writes the payload and a newline per message, a batch at a time. With `fsync` (the "
      "default) a batch is reported written only once fdatasync returned, which the flow's "
      "at-least-once guarantee relies on; without it a crash may lose the last batches.\n"
      "`path` may contain {{date}}, the UTC date of the write (YYYY-MM-DD), for one file per "
      "day. Parent directories are created. With `max_size`, a batch that would take the file "
      "past it first renames the file to `path.1` (shifting `.1` to `.2` and so on, keeping "
      "`keep` of them). A full disk is reported as overloaded, other I/O errors as transient.\n"
      "On open, a last line without its newline (left by a process killed in the middle of a "
      "write, so never acknowledged and due to be written again) is cut off.\n"
      "Example: `output: { file: 'out/{{date}}.jsonl', max_size: 100MiB, keep: 10 }`.";
  info.schema.primary = "path";
  info.schema.fields = {
      {"path", spec::FieldType::kString, "", "File to append to; {{date}} = UTC YYYY-MM-DD.", true},
      {"fsync", spec::FieldType::kBool, "true", "Report a batch written only once it is synced."},
      {"max_size", spec::FieldType::kSize, "0", "Rotate before the file passes this; 0 = never."},
      {"keep", spec::FieldType::kInt, "5", "Rotated files kept (path.1 .. path.<keep>)."},
      {"format",
       spec::FieldType::kString,
       "lines",
       "lines: the payload as is; json_envelope: id, key, timestamp, headers and payload as one "
       "JSON object (keeps a dead letter's reason headers).",
       false,
       {"lines", "json_envelope"}},
  };
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    if (c.str("path").empty()) return Error::invalid("path must not be empty");
    auto path = PathTemplate::parse(ctx.resolve(c.str("path")).string());
    if (!path.ok()) return path.error();
    int64_t keep = c.integer("keep");
    if (keep < 1 || keep > 1000) return Error::invalid("keep must be between 1 and 1000");
    FileSink::Options o;
    o.fsync = c.boolean("fsync");
    o.max_size = c.size("max_size");
    o.keep = static_cast<int>(keep);
    return std::unique_ptr<flow::Output>(std::make_unique<FileOutput>(
        std::move(path).value(), o, c.str("format") == "json_envelope", ctx.blocking));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components

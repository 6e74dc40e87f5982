#include "components/inputs/file/file.h"

#include "components/inputs/file/checkpoint.h"
#include "components/inputs/file/file_input.h"

namespace junction::components {

void register_file_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "file";
  info.kind = spec::ComponentKind::kInput;
  info.summary =
      "Reads lines, JSON lines or CSV rows from a file or a directory, optionally tailing it.";
  info.doc =
      "Reads `path`, or every regular file directly in the directory `path` whose name matches "
      "`glob`, in name order, one message per record. Each message has the headers `file` (the "
      "path) and `offset` (byte offset of the record), and `attempts` when it is redelivered.\n"
      "Formats: `lines` (every line, empty ones included; \\n or \\r\\n), `json` (one JSON "
      "document per line; blank lines skipped; a line that is not JSON is logged and skipped), "
      "`csv` (RFC 4180; the first row is the header; each row becomes a JSON object of strings; "
      "a malformed row or one with a different field count is logged and skipped).\n"
      "A line longer than `max_line` is logged with file:offset and skipped.\n"
      "Delivery is at-least-once: with `checkpoint`, the offset up to which every record was "
      "settled is saved under the storage directory and a restart resumes there; a rotated "
      "(other inode) or truncated file starts from 0. A message that fails downstream is "
      "redelivered after a backoff (100ms doubling up to 5s), never skipped.\n"
      "With `watch` the input keeps polling for appended data, new files, rotation and "
      "truncation, like `tail -F`; a rotated file is read to its end before its successor. In a "
      "directory, pick a `glob` that does not match rotated names (app.log.1), or they are read "
      "as new files. Without `watch` the input ends once everything was read and settled.\n"
      "Example: `input: { file: ./in, glob: '*.jsonl', format: json, watch: true }`.";
  info.schema.primary = "path";
  info.schema.fields = {
      {"path", spec::FieldType::kString, "", "File or directory to read.", true},
      {"format",
       spec::FieldType::kString,
       "lines",
       "How records become messages.",
       false,
       {"lines", "json", "csv"}},
      {"glob", spec::FieldType::kString, "",
       "File-name pattern in a directory (fnmatch); empty = all files."},
      {"watch", spec::FieldType::kBool, "false", "Keep polling for appended data and new files."},
      {"poll_interval", spec::FieldType::kDuration, "500ms", "Time between polls with watch."},
      {"batch_size", spec::FieldType::kInt, "256", "Most messages per emitted batch."},
      {"max_line", spec::FieldType::kSize, "1MiB",
       "Longest record; longer ones are logged and skipped."},
      {"checkpoint", spec::FieldType::kBool, "true",
       "Persist progress and resume from it on restart."},
  };
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    FileInputOptions o;
    if (c.str("path").empty()) return Error::invalid("path must not be empty");
    std::error_code ec;
    // Absolute, so that the checkpoint names the same file whatever the cwd
    // of a later run; std::filesystem::absolute only reads the cwd.
    o.path = std::filesystem::absolute(ctx.resolve(c.str("path")), ec).lexically_normal();
    if (ec) return Error::invalid("path: " + ec.message());
    auto format = parse_record_format(c.str("format"));
    if (!format) return Error::invalid("format must be one of: lines, json, csv");
    o.format = *format;
    o.glob = c.str("glob");
    o.watch = c.boolean("watch");
    o.poll_interval = c.duration("poll_interval");
    if (o.watch && o.poll_interval <= Duration::zero()) {
      return Error::invalid("poll_interval must be more than 0");
    }
    int64_t batch = c.integer("batch_size");
    if (batch < 1 || batch > 65536) return Error::invalid("batch_size must be between 1 and 65536");
    o.batch_size = static_cast<size_t>(batch);
    uint64_t max_line = c.size("max_line");
    if (max_line < 1 || max_line > (uint64_t{1} << 30)) {
      return Error::invalid("max_line must be between 1 byte and 1GiB");
    }
    o.max_line = static_cast<size_t>(max_line);
    if (c.boolean("checkpoint") && !ctx.storage_dir.empty()) {
      o.checkpoint_file = checkpoint_file(ctx.storage_dir, ctx.flow, o.path);
    }
    o.flow = ctx.flow;
    o.blocking = ctx.blocking;
    return make_file_input(std::move(o));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components

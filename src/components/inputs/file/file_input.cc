#include "components/inputs/file/file_input.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <iterator>
#include <map>
#include <optional>
#include <vector>

#include "components/common/blocking_call.h"
#include "components/common/waker.h"
#include "components/inputs/file/checkpoint.h"
#include "components/inputs/file/file_io.h"
#include "components/inputs/file/tracked_file.h"

namespace junction::components {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kChunk = 256 * 1024;
constexpr auto kCheckpointEvery = std::chrono::milliseconds(200);

// What ack callbacks reach, possibly after the input is gone: they run on any
// thread, post back to the input's executor, and wake its loop if it still runs.
struct AckTarget {
  Waker* waker = nullptr;  // set while run() runs
};

class FileInput final : public flow::Input {
 public:
  explicit FileInput(FileInputOptions o) : opt_(std::move(o)) {}

  asio::awaitable<Status> open() override {
    if (!opt_.blocking) co_return Error::permanent("file input needs a blocking pool");
    ex_ = co_await asio::this_coro::executor;
    if (!opt_.checkpoint_file.empty()) {
      auto loaded = co_await blocking_call(
          *opt_.blocking, [f = &opt_.checkpoint_file] { return load_checkpoints(*f); });
      if (loaded.ok()) {
        resume_ = std::move(loaded).value();
        saved_ = resume_;
      } else {
        // Reading from the start repeats messages; that is within at-least-once.
        spdlog::warn("flow {}: file input: ignoring checkpoint {}: {}", opt_.flow,
                     opt_.checkpoint_file.string(), loaded.error().message());
      }
    }
    bool exists = false;
    Status s = co_await rescan(&exists);
    if (!s.ok()) co_return s;
    if (!exists && !opt_.watch) {
      co_return Error::permanent("file input: " + opt_.path.string() + " does not exist");
    }
    opened_ = true;
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    waker_.emplace(ex_);
    target_->waker = &*waker_;
    Status result = co_await loop(emitter);
    target_->waker = nullptr;
    co_return result;
  }

  void stop() override {
    stopped_ = true;
    if (waker_) waker_->wake();
  }

  asio::awaitable<void> close() override {
    if (opened_ && !opt_.checkpoint_file.empty()) {
      CheckpointMap last = snapshot();
      co_await save(std::move(last));
    }
    for (auto& [path, f] : files_) f->close_fd();
    files_.clear();
    retired_.clear();
  }

 private:
  asio::awaitable<Status> loop(flow::Emitter& emitter) {
    auto next_poll = Clock::now() + opt_.poll_interval;
    while (!stopped_ && !emitter.stopping()) {
      auto now = Clock::now();
      MessageBatch redo = take_redeliveries(now);
      if (!redo.empty()) {
        if (!co_await emit_all(emitter, redo)) break;
        continue;
      }
      co_await maybe_checkpoint(now);
      if (auto f = next_readable()) {
        MessageBatch out;
        Status s = co_await read_some(f, out);
        if (!s.ok()) co_return s;
        if (!co_await emit_all(emitter, out)) break;
        continue;
      }
      if (opt_.watch && now >= next_poll) {
        Status s = co_await rescan(nullptr);
        if (!s.ok()) spdlog::warn("flow {}: file input: {}", opt_.flow, s.error().message());
        next_poll = Clock::now() + opt_.poll_interval;
        continue;
      }
      if (!opt_.watch && all_settled()) break;
      co_await waker_->sleep_until(next_deadline(next_poll));
    }
    co_return ok_status();
  }

  Clock::time_point next_deadline(Clock::time_point next_poll) const {
    auto deadline = opt_.watch ? next_poll : Clock::time_point::max();
    auto consider = [&](const std::shared_ptr<TrackedFile>& f) {
      if (auto due = f->inflight.next_due()) deadline = std::min(deadline, *due);
    };
    for (const auto& [path, f] : files_) consider(f);
    for (const auto& f : retired_) consider(f);
    if (!opt_.checkpoint_file.empty() && snapshot() != saved_) {
      deadline = std::min(deadline, last_save_ + kCheckpointEvery);
    }
    return deadline;
  }

  bool all_settled() const {
    for (const auto& [path, f] : files_) {
      if (!f->finished || !f->inflight.empty()) return false;
    }
    return std::all_of(retired_.begin(), retired_.end(),
                       [](const auto& f) { return f->inflight.empty(); });
  }

  std::shared_ptr<TrackedFile> next_readable() const {
    for (const auto& [path, f] : files_) {
      if (!f->at_eof && !f->finished && f->fd >= 0) return f;
    }
    return nullptr;
  }

  // Emits in batches of batch_size; false once the flow refuses (stopping).
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

  Message make_message(const std::shared_ptr<TrackedFile>& f, uint64_t offset, Buffer payload,
                       int attempt) {
    Message m;
    m.payload = std::move(payload);
    m.headers.set("file", f->path);
    m.headers.set("offset", std::to_string(offset));
    if (attempt > 1) m.headers.set("attempts", std::to_string(attempt));
    m.timestamp_ms = now_ms();
    m.id = new_message_id();
    m.ack = Ack([target = target_, f, offset, ex = ex_](Status s) {
      asio::post(ex, [target, f, offset, s = std::move(s)] {
        if (s.ok()) {
          f->inflight.settled_ok(offset);
        } else {
          spdlog::debug("file input: {}:{} failed downstream, redelivering: {}", f->path, offset,
                        s.error().message());
          f->inflight.settled_failed(offset, Clock::now());
        }
        if (target->waker) target->waker->wake();
      });
    });
    return m;
  }

  MessageBatch take_redeliveries(Clock::time_point now) {
    MessageBatch out;
    auto take = [&](const std::shared_ptr<TrackedFile>& f) {
      for (auto& r : f->inflight.take_due(now, opt_.batch_size)) {
        out.push_back(make_message(f, r.offset, std::move(r.payload), r.attempt));
      }
    };
    for (const auto& [path, f] : files_) take(f);
    for (const auto& f : retired_) take(f);
    return out;
  }

  void skipped(const TrackedFile& f, uint64_t offset, const std::string& why) {
    spdlog::error("flow {}: file input: {}:{}: {}; record skipped", opt_.flow, f.path, offset, why);
  }

  void decode(const std::shared_ptr<TrackedFile>& f, Record& r, MessageBatch& out) {
    auto payload = f->decoder.decode(r.bytes);
    if (!payload.ok()) return skipped(*f, r.offset, payload.error().message());
    if (!*payload) return;
    f->inflight.add(r.offset, **payload);
    out.push_back(make_message(f, r.offset, std::move(**payload), 1));
  }

  asio::awaitable<Status> read_some(const std::shared_ptr<TrackedFile>& f, MessageBatch& out) {
    auto chunk =
        co_await blocking_call(*opt_.blocking, [fd = f->fd, pos = f->read_pos, p = &f->path] {
          return file_io::read_at(fd, pos, kChunk, *p);
        });
    if (!chunk.ok()) co_return chunk.error();
    std::vector<Record> records;
    std::vector<uint64_t> oversized;
    if (chunk->empty()) {
      f->at_eof = true;
      // Without watch, or once the path moved on, nothing more will be
      // appended: an unterminated last line is complete.
      if (opt_.watch && !f->detached) co_return ok_status();
      f->finished = true;
      f->close_fd();
      if (auto tail = f->splitter.finish(oversized)) records.push_back(std::move(*tail));
    } else {
      f->read_pos += chunk->size();
      f->size_seen = std::max(f->size_seen, f->read_pos);
      f->splitter.feed(Buffer(std::move(chunk).value()), records, oversized);
    }
    for (uint64_t offset : oversized) {
      skipped(*f, offset,
              "line longer than max_line (" + std::to_string(opt_.max_line) + " bytes)");
    }
    for (auto& r : records) decode(f, r, out);
    co_return ok_status();
  }

  // A new generation of `path`, resumed from its checkpoint when that still
  // describes this file.
  asio::awaitable<Status> track(const std::string& path) {
    std::optional<FileCheckpoint> cp;
    if (auto it = resume_.find(path); it != resume_.end()) {
      cp = it->second;
      resume_.erase(it);
    }
    bool csv = opt_.format == RecordFormat::kCsv && cp && cp->offset > 0;
    auto opened = co_await blocking_call(*opt_.blocking, [p = &path, csv, max = opt_.max_line] {
      return file_io::open(*p, csv, max);
    });
    if (!opened.ok()) co_return opened.error();
    uint64_t start = 0;
    if (cp && cp->inode == opened->inode && opened->size >= cp->offset &&
        opened->size >= cp->size_seen) {
      start = cp->offset;
    } else if (cp && cp->offset > 0) {
      spdlog::info("flow {}: file input: {} was rotated or truncated; reading it from the start",
                   opt_.flow, path);
    }
    auto f = std::make_shared<TrackedFile>(path, opened->fd, opened->inode, start, opt_.format,
                                           opt_.max_line);
    f->size_seen = std::max(start, opened->size);
    if (start > 0 && opened->header && opened->header_end <= start) {
      Status s = f->decoder.set_header(*opened->header);
      if (!s.ok()) skipped(*f, 0, s.error().message());
    }
    files_[path] = std::move(f);
    co_return ok_status();
  }

  void retire(std::shared_ptr<TrackedFile> f) {
    f->close_fd();
    if (!f->inflight.empty()) retired_.push_back(std::move(f));
  }

  // Compares what is on disk with what is tracked: new files, grown files,
  // rotated and truncated ones, files gone.
  asio::awaitable<Status> rescan(bool* exists) {
    auto found = co_await blocking_call(
        *opt_.blocking, [p = &opt_.path, g = &opt_.glob] { return file_io::scan(*p, *g); });
    if (!found.ok()) co_return found.error();
    if (exists) *exists = found->exists;
    std::map<std::string, const file_io::Found*> on_disk;
    for (const auto& file : found->files) on_disk.emplace(file.path, &file);
    for (auto it = files_.begin(); it != files_.end();) {
      auto& f = it->second;
      auto d = on_disk.find(f->path);
      if (d == on_disk.end() || d->second->inode != f->inode) {
        f->detached = true;  // drain what was written before it moved on
        f->at_eof = f->finished;
      } else if (d->second->size < f->read_pos) {
        spdlog::info("flow {}: file input: {} was truncated; reading it from the start", opt_.flow,
                     f->path);
        f->detached = f->finished = true;
      } else {
        f->size_seen = std::max(f->size_seen, d->second->size);
        if (d->second->size > f->read_pos) f->at_eof = false;
      }
      // Without watch only open() scans, so a finished file is never read twice.
      if (f->finished && f->detached) {
        retire(std::move(f));
        it = files_.erase(it);
      } else {
        ++it;
      }
    }
    std::erase_if(retired_, [](const auto& f) { return f->inflight.empty(); });
    for (const auto& [path, file] : on_disk) {
      if (files_.count(path)) continue;
      Status s = co_await track(path);
      if (s.ok()) continue;
      if (!opt_.watch) co_return s;
      // Gone since listed, or not readable yet: the next poll tries again.
      spdlog::warn("flow {}: file input: {}", opt_.flow, s.error().message());
    }
    // A listing of what exists is complete: checkpoints of files not in it
    // belong to files that are gone.
    if (found->exists) resume_.clear();
    co_return ok_status();
  }

  CheckpointMap snapshot() const {
    CheckpointMap out = resume_;  // files not seen yet keep their progress
    for (const auto& [path, f] : files_) {
      out[path] = FileCheckpoint{f->checkpoint(), f->size_seen, f->inode};
    }
    return out;
  }

  asio::awaitable<void> save(CheckpointMap snap) {
    last_save_ = Clock::now();
    if (snap == saved_) co_return;
    Status s = co_await blocking_call(*opt_.blocking, [file = &opt_.checkpoint_file, snap = &snap] {
      return save_checkpoints(*file, *snap);
    });
    if (s.ok()) {
      saved_ = std::move(snap);
    } else {
      spdlog::warn("flow {}: file input: checkpoint not saved: {}", opt_.flow, s.error().message());
    }
  }

  asio::awaitable<void> maybe_checkpoint(Clock::time_point now) {
    if (opt_.checkpoint_file.empty() || now - last_save_ < kCheckpointEvery) co_return;
    CheckpointMap snap = snapshot();
    co_await save(std::move(snap));
  }

  FileInputOptions opt_;
  asio::any_io_executor ex_;
  std::shared_ptr<AckTarget> target_ = std::make_shared<AckTarget>();
  std::optional<Waker> waker_;
  bool opened_ = false;
  bool stopped_ = false;
  std::map<std::string, std::shared_ptr<TrackedFile>> files_;  // by path: read in name order
  std::vector<std::shared_ptr<TrackedFile>> retired_;          // old generations still in flight
  CheckpointMap resume_;  // checkpoints loaded at open, taken as files are first seen
  CheckpointMap saved_;   // what the checkpoint file holds
  Clock::time_point last_save_{};
};

}  // namespace

std::unique_ptr<flow::Input> make_file_input(FileInputOptions options) {
  return std::make_unique<FileInput>(std::move(options));
}

}  // namespace junction::components

#include "log/journal.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "unit/common/temp_dir.h"
#include "unit/log/log_test_util.h"

namespace junction::log {
namespace {

using junction::test::TempDir;
using namespace std::chrono_literals;

// Stands in for fdatasync under `fsync: always`: each sync records how far
// its segment was written when it started, then waits until the test lets it
// return, with the outcome the test chose. `covered()` is the furthest offset
// below which a sync that started after the write has returned ok.
class GatedSync {
 public:
  Status sync(Segment& segment) {
    std::unique_lock lock(mu_);
    const int64_t start = segment.next_offset();
    started_.push_back(start);
    cv_.notify_all();
    cv_.wait(lock, [this] { return !outcomes_.empty(); });
    Status outcome = outcomes_.front();
    outcomes_.erase(outcomes_.begin());
    if (outcome) covered_[&segment] = std::max(covered_[&segment], start);
    return outcome;
  }

  // Waits until `n` syncs have started; returns where the n-th one started.
  int64_t wait_started(size_t n) {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, 10s, [&] { return started_.size() >= n; }));
    return started_.size() >= n ? started_[n - 1] : -1;
  }

  void release(Status outcome = ok_status()) {
    std::lock_guard lock(mu_);
    outcomes_.push_back(std::move(outcome));
    cv_.notify_all();
  }

  int64_t covered(Segment& segment) {
    std::lock_guard lock(mu_);
    return covered_[&segment];
  }

  size_t started() {
    std::lock_guard lock(mu_);
    return started_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> started_;
  std::vector<Status> outcomes_;
  std::map<Segment*, int64_t> covered_;
};

std::unique_ptr<Partition> open_partition(const TempDir& dir, int32_t id, TopicConfig config = {}) {
  auto p = Partition::open(dir.path() / std::to_string(id), "t", id, config, false);
  EXPECT_TRUE(p) << (p ? "" : p.error().message());
  return p ? std::move(*p) : nullptr;
}

std::string one_record_batch() {
  return test::make_batch({test::make_record("payload")});
}

// Big enough that the journal writes it while a sync runs, instead of
// holding it back until the sync ends (Journal::kWriteAheadBytes).
std::string write_ahead_batch() {
  return test::make_batch({test::make_record(std::string(Journal::kWriteAheadBytes, 'x'))});
}

// An append's outcome, and how far the synced bytes reached when it was told.
struct Ack {
  std::promise<Result<AppendResult>> result;
  std::promise<int64_t> covered_then;
};

void submit(Journal& journal, Partition& p, GatedSync& gate, Ack& ack,
            std::string batch = one_record_batch()) {
  journal.submit(p, std::move(batch), [&](Result<AppendResult> r) {
    ack.covered_then.set_value(gate.covered(*p.active_segment()));
    ack.result.set_value(std::move(r));
  });
}

bool ready(std::future<Result<AppendResult>>& f) {
  return f.wait_for(0s) == std::future_status::ready;
}

// The journal writes an append while the sync before it runs; it waits for
// its own write to land without hanging the test forever.
void wait_written(Partition& p, int64_t next_offset) {
  for (int i = 0; i < 10000 && p.next_offset() < next_offset; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(p.next_offset(), next_offset);
}

TEST(Journal, AcksOnlyAfterASyncThatStartedAfterTheWrite) {
  TempDir dir;
  auto p = open_partition(dir, 0);
  GatedSync gate;
  Journal journal(64u << 20, [&](Segment& s) { return gate.sync(s); });

  Ack a, b;
  auto a_result = a.result.get_future();
  auto b_result = b.result.get_future();
  submit(journal, *p, gate, a);
  EXPECT_EQ(gate.wait_started(1), 1);  // the first sync covers A only

  // B is written while A's sync is held: writing does not wait for syncing.
  submit(journal, *p, gate, b, write_ahead_batch());
  wait_written(*p, 2);
  EXPECT_FALSE(ready(a_result));
  EXPECT_FALSE(ready(b_result));
  EXPECT_EQ(p->high_watermark(), 0);

  gate.release();
  auto ra = a_result.get();
  ASSERT_TRUE(ra) << ra.error().message();
  EXPECT_EQ(ra->base_offset, 0);
  EXPECT_GT(a.covered_then.get_future().get(), ra->last_offset);

  // The sync that returned started before B was written, so B waits for the next.
  EXPECT_EQ(gate.wait_started(2), 2);
  EXPECT_FALSE(ready(b_result));
  EXPECT_EQ(p->high_watermark(), 1);
  gate.release();
  auto rb = b_result.get();
  ASSERT_TRUE(rb) << rb.error().message();
  EXPECT_EQ(rb->base_offset, 1);
  EXPECT_GT(b.covered_then.get_future().get(), rb->last_offset);
  EXPECT_EQ(p->high_watermark(), 2);
  journal.stop();
}

TEST(Journal, AFailedSyncFailsTheAppendsItCoveredAndThePartitionOnly) {
  TempDir dir;
  auto p0 = open_partition(dir, 0);
  auto p1 = open_partition(dir, 1);
  GatedSync gate;
  Journal journal(64u << 20, [&](Segment& s) { return gate.sync(s); });

  Ack a, b, c;
  auto a_result = a.result.get_future();
  auto b_result = b.result.get_future();
  auto c_result = c.result.get_future();
  submit(journal, *p0, gate, a);
  gate.wait_started(1);
  submit(journal, *p0, gate, b, write_ahead_batch());  // written while the failing sync runs
  submit(journal, *p1, gate, c, write_ahead_batch());  // another file
  wait_written(*p0, 2);
  wait_written(*p1, 1);

  gate.release(Error::transient("cannot fsync 00000000000000000000.log: Input/output error"));
  auto ra = a_result.get();
  ASSERT_FALSE(ra);
  EXPECT_NE(ra.error().message().find("Input/output error"), std::string::npos);

  // The next pass syncs both files, and both syncs succeed; B still fails,
  // since a sync after a failed one proves nothing about the pages before it.
  gate.wait_started(2);
  gate.release();
  gate.wait_started(3);
  gate.release();
  auto rb = b_result.get();
  ASSERT_FALSE(rb);
  EXPECT_NE(rb.error().message().find("partition failed earlier"), std::string::npos);
  auto rc = c_result.get();
  ASSERT_TRUE(rc) << rc.error().message();
  EXPECT_EQ(p0->high_watermark(), 0);  // nothing of p0 ever becomes readable
  EXPECT_EQ(p1->high_watermark(), 1);

  // Later appends to the failed partition are refused before any write.
  Ack d;
  auto d_result = d.result.get_future();
  submit(journal, *p0, gate, d);
  auto rd = d_result.get();
  ASSERT_FALSE(rd);
  EXPECT_NE(rd.error().message().find("partition failed earlier"), std::string::npos);
  EXPECT_EQ(p0->next_offset(), 2);
  EXPECT_EQ(gate.started(), 3u);
  journal.stop();
}

TEST(Journal, SmallAppendsWaitForTheRunningSyncAndThenGoTogether) {
  TempDir dir;
  auto p = open_partition(dir, 0);
  GatedSync gate;
  Journal journal(64u << 20, [&](Segment& s) { return gate.sync(s); });

  Ack a, b, c;
  auto b_result = b.result.get_future();
  auto c_result = c.result.get_future();
  submit(journal, *p, gate, a);
  gate.wait_started(1);
  submit(journal, *p, gate, b);
  submit(journal, *p, gate, c);
  // Held back while A's sync runs (nothing could ack them before it ends)...
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(p->next_offset(), 1);
  // ...then written together and covered by one sync.
  gate.release();
  EXPECT_EQ(gate.wait_started(2), 3);
  gate.release();
  EXPECT_TRUE(b_result.get());
  EXPECT_TRUE(c_result.get());
  EXPECT_EQ(gate.started(), 2u);
  journal.stop();
}

TEST(Journal, ASegmentRollsWhileItsSyncIsPending) {
  TempDir dir;
  TopicConfig config;
  config.segment_bytes = 4096;
  auto p = open_partition(dir, 0, config);
  GatedSync gate;
  Journal journal(64u << 20, [&](Segment& s) { return gate.sync(s); });

  Ack a, b;
  auto a_result = a.result.get_future();
  auto b_result = b.result.get_future();
  submit(journal, *p, gate, a);
  gate.wait_started(1);
  // B does not fit: the partition rolls to a new segment under the pending sync.
  submit(journal, *p, gate, b, write_ahead_batch());
  wait_written(*p, 2);
  EXPECT_EQ(p->segment_count(), 2u);
  gate.release();
  EXPECT_TRUE(a_result.get());
  EXPECT_EQ(gate.wait_started(2), 2);  // the new segment's sync covers B
  gate.release();
  auto rb = b_result.get();
  ASSERT_TRUE(rb) << rb.error().message();
  EXPECT_EQ(rb->base_offset, 1);
  EXPECT_EQ(test::read_all(*p).size(), 2u);
  journal.stop();
}

TEST(Journal, OtherPoliciesDoNotWaitForARunningSync) {
  TempDir dir;
  auto always = open_partition(dir, 0);
  TopicConfig interval_config;
  interval_config.fsync = *FsyncPolicy::parse("interval 1h");
  auto interval = open_partition(dir, 1, interval_config);
  GatedSync gate;
  Journal journal(64u << 20, [&](Segment& s) { return gate.sync(s); });

  Ack a, x;
  auto a_result = a.result.get_future();
  auto x_result = x.result.get_future();
  submit(journal, *always, gate, a);
  gate.wait_started(1);
  submit(journal, *interval, gate, x);
  // Acked while A's sync is still held.
  const bool x_acked_first = x_result.wait_for(10s) == std::future_status::ready;
  const bool a_acked_first = ready(a_result);
  gate.release();
  ASSERT_TRUE(x_acked_first);
  EXPECT_FALSE(a_acked_first);
  EXPECT_TRUE(x_result.get());
  EXPECT_TRUE(a_result.get());
  journal.stop();
}

TEST(Journal, ABarrierWaitsForPendingSyncs) {
  TempDir dir;
  auto p = open_partition(dir, 0);
  GatedSync gate;
  Journal journal(64u << 20, [&](Segment& s) { return gate.sync(s); });

  std::mutex mu;
  std::vector<std::string> events;
  auto note = [&](std::string e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
  };
  std::promise<void> barrier_ran;
  journal.submit(*p, one_record_batch(),
                 [&](Result<AppendResult> r) { note(r ? "ack" : "error"); });
  gate.wait_started(1);
  journal.barrier([&] {
    note("barrier");
    barrier_ran.set_value();
  });
  auto ran = barrier_ran.get_future();
  EXPECT_EQ(ran.wait_for(50ms), std::future_status::timeout);
  gate.release();
  ran.get();
  std::lock_guard lock(mu);
  EXPECT_EQ(events, (std::vector<std::string>{"ack", "barrier"}));
}

TEST(Journal, StopCompletesEveryAppendWithItsSync) {
  TempDir dir;
  auto p = open_partition(dir, 0);
  GatedSync gate;
  auto journal = std::make_unique<Journal>(64u << 20, [&](Segment& s) { return gate.sync(s); });
  Ack a, b;
  auto a_result = a.result.get_future();
  auto b_result = b.result.get_future();
  submit(*journal, *p, gate, a);
  gate.wait_started(1);
  submit(*journal, *p, gate, b, write_ahead_batch());
  wait_written(*p, 2);

  std::thread stopper([&] { journal->stop(); });
  gate.release();
  gate.wait_started(2);
  gate.release();
  stopper.join();
  EXPECT_TRUE(ready(a_result));
  EXPECT_TRUE(ready(b_result));
  EXPECT_TRUE(a_result.get());
  EXPECT_TRUE(b_result.get());
  EXPECT_EQ(p->high_watermark(), 2);
}

}  // namespace
}  // namespace junction::log

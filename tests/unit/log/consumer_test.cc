#include "log/consumer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "unit/common/temp_dir.h"
#include "unit/log/log_test_util.h"

namespace junction::log {
namespace {

using junction::test::TempDir;
using test::make_record;
using test::produce_sync;
using test::read_all;
using Clock = Consumer::Clock;

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::open_store(dir_.path());
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }

  Topic* make_topic(const std::string& name, int32_t partitions, int32_t max_deliveries = 3) {
    TopicConfig c;
    c.partitions = partitions;
    c.max_deliveries = max_deliveries;
    auto t = store_->open_topic(name, c);
    EXPECT_TRUE(t);
    return *t;
  }

  void produce(Topic* t, int count, int32_t partition = 0, const std::string& prefix = "m") {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(produce_sync(*store_, *t, partition, {make_record(prefix + std::to_string(i))}));
    }
  }

  std::unique_ptr<Consumer> consumer(const std::string& topic, const std::string& group = "g",
                                     ConsumerOptions extra = {}) {
    extra.group = group;
    extra.topic = topic;
    auto c = std::make_unique<Consumer>(*store_, extra, [this] { wakes_++; });
    EXPECT_TRUE(c->start());
    return c;
  }

  // Polls until `n` deliveries came or nothing more arrives.
  std::vector<Delivery> take(Consumer& c, size_t n, Clock::time_point now = Clock::now()) {
    std::vector<Delivery> out;
    for (int round = 0; round < 50 && out.size() < n; ++round) {
      auto got = c.poll(n - out.size(), now);
      EXPECT_TRUE(got);
      if (!got || got->empty()) break;
      for (auto& d : *got) out.push_back(std::move(d));
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::atomic<int> wakes_{0};
};

TEST_F(ConsumerTest, DeliversInOrderAndCommitsTheLowestUnacked) {
  Topic* t = make_topic("orders", 1);
  produce(t, 10);
  auto c = consumer("orders");
  auto got = take(*c, 10);
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(got[static_cast<size_t>(i)].record.offset, i);
    EXPECT_EQ(*got[static_cast<size_t>(i)].record.value, "m" + std::to_string(i));
  }
  // Ack all but offset 3: the commit stops there.
  for (auto& d : got) {
    if (d.record.offset != 3) c->ack(d.partition, d.record.offset);
  }
  c->commit();
  c->stop();
  // Wait for the journal to write the commit.
  for (int i = 0; i < 100 && store_->offsets().committed("g", "orders", 0) != 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store_->offsets().committed("g", "orders", 0), 3);

  // A new member of the group starts at the unacked record: nothing acked is redelivered twice...
  auto again = consumer("orders");
  auto redo = take(*again, 10);
  ASSERT_FALSE(redo.empty());
  EXPECT_EQ(redo.front().record.offset, 3);
}

TEST_F(ConsumerTest, NackRedeliversWithAnAttemptsHeaderThenDeadLetters) {
  Topic* t = make_topic("pay", 1, 3);
  produce(t, 1);
  auto c = consumer("pay");
  auto now = Clock::now();
  auto first = take(*c, 1, now);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].attempt, 1);
  c->nack(0, 0, "card declined", now);
  // Not before the backoff.
  EXPECT_TRUE(c->poll(10, now)->empty());
  ASSERT_TRUE(c->next_deadline());
  now = *c->next_deadline();
  auto second = c->poll(10, now);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].attempt, 2);
  bool has_header = false;
  for (const auto& h : (*second)[0].record.headers) {
    if (h.key == kAttemptsHeader) has_header = h.value == "2";
  }
  EXPECT_TRUE(has_header);
  c->nack(0, 0, "card declined", now);
  now = *c->next_deadline();
  auto third = c->poll(10, now);
  ASSERT_EQ(third->size(), 1u);
  EXPECT_EQ((*third)[0].attempt, 3);
  c->nack(0, 0, "card declined again", now);
  now = *c->next_deadline();
  EXPECT_TRUE(c->poll(10, now)->empty());  // the third failure sends it to the dead-letter topic
  for (int i = 0; i < 200 && c->dead_letters_pending() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    (void)c->poll(10, now);
  }
  EXPECT_EQ(c->in_flight(), 0u);
  Topic* dlq = store_->find_topic("pay.dlq");
  ASSERT_NE(dlq, nullptr);
  auto dead = read_all(dlq->partition(0));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value, "m0");
  std::map<std::string, std::string> headers;
  for (const auto& h : dead[0].headers) headers[h.key] = h.value.value_or("");
  EXPECT_EQ(headers["x-junction-error"], "card declined again");
  EXPECT_EQ(headers["x-junction-source"], "pay/0/0");
  EXPECT_EQ(headers["x-junction-attempts"], "3");
  EXPECT_EQ(headers["x-junction-group"], "g");
  // The committed offset may now pass it.
  c->commit();
  c->stop();
  for (int i = 0; i < 100 && store_->offsets().committed("g", "pay", 0) != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store_->offsets().committed("g", "pay", 0), 1);
}

TEST_F(ConsumerTest, AckTimeoutRedelivers) {
  Topic* t = make_topic("slow", 1);
  produce(t, 1);
  ConsumerOptions opts;
  opts.ack_timeout = std::chrono::milliseconds(500);
  auto c = consumer("slow", "g", opts);
  auto now = Clock::now();
  ASSERT_EQ(take(*c, 1, now).size(), 1u);
  EXPECT_TRUE(c->poll(10, now + std::chrono::milliseconds(499))->empty());
  auto later = c->poll(10, now + std::chrono::milliseconds(501));
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].attempt, 2);
}

TEST_F(ConsumerTest, InFlightIsBounded) {
  Topic* t = make_topic("many", 1);
  produce(t, 50);
  ConsumerOptions opts;
  opts.max_in_flight = 8;
  auto c = consumer("many", "g", opts);
  auto got = take(*c, 50);
  EXPECT_EQ(got.size(), 8u);
  c->ack(0, got[0].record.offset);
  EXPECT_EQ(c->poll(50)->size(), 1u);
}

TEST_F(ConsumerTest, GroupMembersSharePartitionsAndRebalanceOnLeave) {
  Topic* t = make_topic("shared", 4);
  for (int32_t p = 0; p < 4; ++p) produce(t, 5, p, "p" + std::to_string(p) + "-");
  auto a = consumer("shared", "workers");
  auto b = consumer("shared", "workers");
  (void)a->poll(0);
  (void)b->poll(0);
  auto pa = a->assigned();
  auto pb = b->assigned();
  EXPECT_EQ(pa.size(), 2u);
  EXPECT_EQ(pb.size(), 2u);
  for (int32_t p : pa) EXPECT_EQ(std::count(pb.begin(), pb.end(), p), 0);
  auto from_a = take(*a, 100);
  EXPECT_EQ(from_a.size(), 10u);
  for (auto& d : from_a) a->ack(d.partition, d.record.offset);
  b->stop();
  (void)a->poll(0);
  EXPECT_EQ(a->assigned().size(), 4u);
  // What b never acked is now a's.
  auto rest = take(*a, 100);
  EXPECT_EQ(rest.size(), 10u);
}

// How a remote member commits: an offset acks what was delivered below it.
TEST_F(ConsumerTest, CommitThroughAcksBelowAndIsRefusedOnceThePartitionMoved) {
  Topic* t = make_topic("remote", 2);
  produce(t, 3, 0);
  produce(t, 3, 1);
  auto a = consumer("remote", "r");
  ASSERT_EQ(take(*a, 100).size(), 6u);
  auto commit = [](Consumer& c, int32_t p, int64_t offset) {
    auto done = std::make_shared<std::promise<Status>>();
    auto verdict =
        c.commit_through({{p, offset}}, std::nullopt, [done](Status st) { done->set_value(st); });
    if (verdict.check == GroupCoordinator::CommitCheck::kDone) {
      EXPECT_TRUE(done->get_future().get());
    }
    return verdict.check;
  };
  EXPECT_EQ(commit(*a, 0, 2), GroupCoordinator::CommitCheck::kDone);
  EXPECT_EQ(store_->offsets().committed("r", "remote", 0), 2);
  EXPECT_EQ(a->in_flight(), 4u);
  // Past what was delivered is clamped: nothing unread is ever skipped.
  EXPECT_EQ(commit(*a, 0, 100), GroupCoordinator::CommitCheck::kDone);
  EXPECT_EQ(store_->offsets().committed("r", "remote", 0), 3);

  // b's join takes partition 1: a's late commit for it is refused, and b
  // reads it from the committed offset (the start, committed by a's first poll).
  auto b = consumer("remote", "r");
  EXPECT_EQ(commit(*a, 1, 3), GroupCoordinator::CommitCheck::kNotOwner);
  EXPECT_EQ(store_->offsets().committed("r", "remote", 1), 0);
  auto from_b = take(*b, 100);
  ASSERT_EQ(from_b.size(), 3u);
  EXPECT_EQ(from_b[0].partition, 1);
  EXPECT_EQ(from_b[0].record.offset, 0);
  EXPECT_EQ(commit(*b, 1, 3), GroupCoordinator::CommitCheck::kDone);
  EXPECT_EQ(store_->offsets().committed("r", "remote", 1), 3);

  a->stop();
  EXPECT_EQ(commit(*a, 0, 3), GroupCoordinator::CommitCheck::kUnknownMember);
}

// Sticky rebalancing: what a member keeps through a join, it keeps reading
// where it was, with its deliveries still in flight; nothing is redelivered.
TEST_F(ConsumerTest, APartitionKeptThroughARebalanceKeepsItsDeliveries) {
  Topic* t = make_topic("sticky", 4);
  for (int32_t p = 0; p < 4; ++p) produce(t, 3, p);
  auto a = consumer("sticky", "s");
  ASSERT_EQ(take(*a, 100).size(), 12u);
  auto b = consumer("sticky", "s");
  EXPECT_TRUE(take(*a, 100).empty());
  EXPECT_EQ(a->assigned(), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(a->in_flight(), 6u);
  // b starts the two it took from the committed offset (none: the start).
  EXPECT_EQ(take(*b, 100).size(), 6u);
  for (int32_t p : {0, 1}) {
    for (int64_t o = 0; o < 3; ++o) a->ack(p, o);
  }
  EXPECT_EQ(a->in_flight(), 0u);
}

// A member that lost a partition and got it back before it looked again sees
// one assignment with the partition still in it; the new tenure says that
// what it had read is stale, and it starts over from the committed offset.
TEST_F(ConsumerTest, APartitionLostAndRegainedBetweenPollsStartsOver) {
  Topic* t = make_topic("regained", 2);
  produce(t, 3, 0);
  produce(t, 3, 1);
  auto a = consumer("regained", "r");
  ASSERT_EQ(take(*a, 100).size(), 6u);  // nothing acked

  auto b = consumer("regained", "r");
  auto from_b = take(*b, 100);
  ASSERT_EQ(from_b.size(), 3u);
  EXPECT_EQ(from_b[0].partition, 1);
  auto done = std::make_shared<std::promise<Status>>();
  ASSERT_EQ(
      b->commit_through({{1, 3}}, std::nullopt, [done](Status st) { done->set_value(st); }).check,
      GroupCoordinator::CommitCheck::kDone);
  ASSERT_TRUE(done->get_future().get());
  b->stop();

  EXPECT_TRUE(take(*a, 100).empty());
  EXPECT_EQ(a->assigned(), (std::vector<int32_t>{0, 1}));
  // Only partition 0's deliveries are a's; partition 1 resumes after b's commit.
  EXPECT_EQ(a->in_flight(), 3u);
  produce(t, 1, 1, "late");
  auto late = take(*a, 100);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].partition, 1);
  EXPECT_EQ(late[0].record.offset, 3);
}

// A flow's member commits on its own, maybe before it has seen a rebalance:
// here one that took a partition away and gave it back, while its other
// owner committed less than this member had acked. Named with the tenure
// the member knows, the commit is refused and that owner's offset stands.
TEST_F(ConsumerTest, ACommitBeforeSeeingARebalanceIsFencedByTenure) {
  Topic* t = make_topic("window", 2);
  produce(t, 5, 1);
  auto a = consumer("window", "w");
  auto first = take(*a, 100);  // its first poll commits where it starts: 0
  ASSERT_EQ(first.size(), 5u);
  for (const auto& d : first) a->ack(d.partition, d.record.offset);

  auto b = consumer("window", "w");  // takes partition 1
  ASSERT_EQ(take(*b, 100).size(), 5u);
  b->ack(1, 0);
  b->ack(1, 1);
  b->commit();
  b->stop();  // gives partition 1 back to a, in a new tenure
  auto barrier = [this] {
    // Offset commits are written in order: once this one is durable, any
    // issued before it shows.
    auto done = std::make_shared<std::promise<Status>>();
    store_->offsets().commit("other", "window", 0, 1, [done](Status st) { done->set_value(st); });
    ASSERT_TRUE(done->get_future().get());
  };
  barrier();
  ASSERT_EQ(store_->offsets().committed("w", "window", 1), 2);

  // a has not polled since: it still holds what it read in its first tenure.
  EXPECT_EQ(a->assigned(), (std::vector<int32_t>{0, 1}));
  a->commit();
  barrier();
  EXPECT_EQ(store_->offsets().committed("w", "window", 1), 2);
  EXPECT_EQ(a->assigned(), (std::vector<int32_t>{0}));
  EXPECT_EQ(a->in_flight(), 0u);

  // Its next poll sees the new tenure and reads on from b's commit: what b
  // left unacked comes again, nothing is skipped.
  auto again = take(*a, 100);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].partition, 1);
  EXPECT_EQ(again[0].record.offset, 2);
  EXPECT_EQ(a->assigned(), (std::vector<int32_t>{0, 1}));
}

// A remote member's commit naming the generation of its poll: refused as a
// whole when one partition came back in a newer tenure, acking nothing.
TEST_F(ConsumerTest, ACommitFromAnEarlierTenureAcksNothing) {
  Topic* t = make_topic("fenced", 2);
  produce(t, 3, 0);
  produce(t, 3, 1);
  ConsumerOptions only_explicit;  // no periodic commits: the offsets move by commit_through alone
  only_explicit.commit = false;
  auto a = consumer("fenced", "f", only_explicit);
  ASSERT_EQ(take(*a, 100).size(), 6u);
  const uint64_t polled_in = a->generation();
  auto b = consumer("fenced", "f");  // takes partition 1
  b->stop();                         // and gives it back

  auto commit = [](Consumer& c, std::map<int32_t, int64_t> offsets, uint64_t gen) {
    auto done = std::make_shared<std::promise<Status>>();
    auto verdict = c.commit_through(offsets, gen, [done](Status st) { done->set_value(st); });
    if (verdict.check == GroupCoordinator::CommitCheck::kDone) {
      EXPECT_TRUE(done->get_future().get());
    }
    return verdict;
  };
  auto refused = commit(*a, {{0, 3}, {1, 3}}, polled_in);
  EXPECT_EQ(refused.check, GroupCoordinator::CommitCheck::kStaleTenure);
  EXPECT_EQ(refused.partition, 1);
  EXPECT_GT(refused.tenure, polled_in);
  // Partition 0 was a's throughout, yet none of the commit was applied.
  // Offset commits are written in order, so once a later one is durable, a
  // write the refused commit had issued would show.
  auto later = std::make_shared<std::promise<Status>>();
  store_->offsets().commit("other", "fenced", 0, 1, [later](Status st) { later->set_value(st); });
  ASSERT_TRUE(later->get_future().get());
  EXPECT_FALSE(store_->offsets().committed("f", "fenced", 0));
  EXPECT_EQ(a->in_flight(), 3u);  // partition 0's; partition 1 started over

  // The poll after the rebalance delivers partition 1 again, in the new
  // generation, which commits both.
  auto again = take(*a, 100);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].partition, 1);
  EXPECT_EQ(again[0].record.offset, 0);
  EXPECT_EQ(commit(*a, {{0, 3}, {1, 3}}, a->generation()).check,
            GroupCoordinator::CommitCheck::kDone);
  EXPECT_EQ(store_->offsets().committed("f", "fenced", 0), 3);
  EXPECT_EQ(store_->offsets().committed("f", "fenced", 1), 3);
  EXPECT_EQ(a->in_flight(), 0u);
}

TEST_F(ConsumerTest, AFullGroupRefusesToStart) {
  make_topic("crowded", 1);
  std::vector<std::unique_ptr<Consumer>> members;
  for (size_t i = 0; i < GroupCoordinator::kDefaultMaxMembers; ++i) {
    members.push_back(consumer("crowded", "many"));
  }
  ConsumerOptions o;
  o.group = "many";
  o.topic = "crowded";
  Consumer one_more(*store_, o, [] {});
  auto st = one_more.start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().cls(), ErrorClass::kOverloaded);
}

TEST_F(ConsumerTest, SeparateGroupsEachGetEverything) {
  Topic* t = make_topic("fanout", 2);
  produce(t, 3, 0);
  produce(t, 3, 1);
  auto a = consumer("fanout", "billing");
  auto b = consumer("fanout", "audit");
  EXPECT_EQ(take(*a, 100).size(), 6u);
  EXPECT_EQ(take(*b, 100).size(), 6u);
}

TEST_F(ConsumerTest, StartPositions) {
  Topic* t = make_topic("replay", 1);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        produce_sync(*store_, *t, 0, {make_record("r" + std::to_string(i), 1000 + i * 100)}));
  }
  ConsumerOptions latest;
  latest.start = *StartPosition::parse("latest");
  auto c1 = consumer("replay", "from-latest", latest);
  EXPECT_TRUE(take(*c1, 100).empty());
  produce(t, 1, 0, "new");
  EXPECT_EQ(take(*c1, 100).size(), 1u);

  ConsumerOptions by_offset;
  by_offset.start = *StartPosition::parse("offset:7");
  auto c2 = consumer("replay", "from-7", by_offset);
  auto got = take(*c2, 100);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().record.offset, 7);

  ConsumerOptions by_time;
  by_time.start = *StartPosition::parse("time:1450");
  auto c3 = consumer("replay", "from-time", by_time);
  got = take(*c3, 100);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().record.offset, 5);
}

TEST_F(ConsumerTest, WakesWhenDataArrives) {
  Topic* t = make_topic("quiet", 1);
  auto c = consumer("quiet");
  EXPECT_TRUE(take(*c, 10).empty());
  const int before = wakes_.load();
  c->arm();
  produce(t, 1);
  for (int i = 0; i < 100 && wakes_.load() == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(wakes_.load(), before);
  EXPECT_EQ(take(*c, 10).size(), 1u);
}

TEST(StartPosition, Parses) {
  EXPECT_EQ(StartPosition::parse("earliest")->kind, StartPosition::Kind::kEarliest);
  EXPECT_EQ(StartPosition::parse("latest")->kind, StartPosition::Kind::kLatest);
  EXPECT_EQ(StartPosition::parse("offset:42")->value, 42);
  EXPECT_EQ(StartPosition::parse("time:1700000000000")->value, 1700000000000);
  auto t = StartPosition::parse("2026-11-26T08:00:00.250Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, StartPosition::Kind::kTimestamp);
  EXPECT_EQ(t->value, 1795680000250);
  auto bad = StartPosition::parse("yesterday");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("earliest, latest"), std::string::npos);
  EXPECT_FALSE(StartPosition::parse("offset:-1"));
}

}  // namespace
}  // namespace junction::log

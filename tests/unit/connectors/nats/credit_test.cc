#include "connectors/nats/credit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace junction::connectors::nats {
namespace {

TEST(NatsInFlightCredit, TakesWholeBatchesUpToTheBound) {
  InFlightCredit credit(250, 100);
  EXPECT_EQ(credit.take(), 100);
  EXPECT_EQ(credit.take(), 100);
  EXPECT_EQ(credit.in_flight(), 200);
  // 50 left: not a batch. A fetch that came back short returns the rest.
  credit.give_back(60);
  EXPECT_EQ(credit.in_flight(), 140);
  EXPECT_EQ(credit.take(), 100);
  EXPECT_EQ(credit.in_flight(), 240);
}

TEST(NatsInFlightCredit, ABatchLargerThanTheBoundIsClamped) {
  InFlightCredit credit(10, 100);
  EXPECT_EQ(credit.take(), 10);
  credit.give_back(10);
  EXPECT_EQ(credit.in_flight(), 0);
}

TEST(NatsInFlightCredit, WaitsForRoomForAWholeBatchNotForOneMessage) {
  InFlightCredit credit(200, 100);
  ASSERT_EQ(credit.take(), 100);
  ASSERT_EQ(credit.take(), 100);
  std::atomic<int> taken{-1};
  std::thread fetcher([&] { taken = credit.take(); });
  // Messages settled one by one: no batch of room yet, the fetcher waits.
  for (int i = 0; i < 99; ++i) credit.give_back(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(taken.load(), -1);
  credit.give_back(1);
  fetcher.join();
  EXPECT_EQ(taken.load(), 100);
  EXPECT_EQ(credit.in_flight(), 200);
}

TEST(NatsInFlightCredit, StopWakesAWaitingFetcherWithNothing) {
  InFlightCredit credit(100, 100);
  ASSERT_EQ(credit.take(), 100);
  std::atomic<int> taken{-1};
  std::thread fetcher([&] { taken = credit.take(); });
  credit.stop();
  fetcher.join();
  EXPECT_EQ(taken.load(), 0);
  EXPECT_TRUE(credit.stopped());
  EXPECT_TRUE(credit.wait_stopped_for(std::chrono::hours(1)));
  EXPECT_EQ(credit.take(), 0);
}

}  // namespace
}  // namespace junction::connectors::nats

#include "core/ack.h"

#include <gtest/gtest.h>

#include <optional>

namespace junction {
namespace {

struct Recorder {
  int calls = 0;
  std::optional<Status> last;
  Ack make() {
    return Ack([this](Status s) {
      ++calls;
      last = std::move(s);
    });
  }
};

TEST(AckTest, SettlesOnceWithOk) {
  Recorder r;
  Ack a = r.make();
  a.ok();
  a.ok();  // the handle is empty now: a second settle does nothing
  EXPECT_EQ(r.calls, 1);
  EXPECT_TRUE(r.last->ok());
}

TEST(AckTest, DestroyedUnsettledCountsAsFailure) {
  Recorder r;
  { Ack a = r.make(); }
  ASSERT_EQ(r.calls, 1);
  EXPECT_FALSE(r.last->ok());
  EXPECT_EQ(r.last->error().cls(), ErrorClass::kTransient);
}

TEST(AckTest, SplitSettlesParentAfterAllChildren) {
  Recorder r;
  auto children = Ack::split(r.make(), 3);
  ASSERT_EQ(children.size(), 3u);
  children[0].ok();
  children[2].ok();
  EXPECT_EQ(r.calls, 0);
  children[1].ok();
  EXPECT_EQ(r.calls, 1);
  EXPECT_TRUE(r.last->ok());
}

TEST(AckTest, SplitReportsFirstFailure) {
  Recorder r;
  auto children = Ack::split(r.make(), 2);
  children[0].settle(Error::invalid("bad row"));
  children[1].settle(Error::transient("later"));
  ASSERT_EQ(r.calls, 1);
  EXPECT_EQ(r.last->error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(r.last->error().message(), "bad row");
}

TEST(AckTest, SplitIntoNothingSettlesParentOk) {
  Recorder r;
  auto children = Ack::split(r.make(), 0);
  EXPECT_TRUE(children.empty());
  EXPECT_EQ(r.calls, 1);
  EXPECT_TRUE(r.last->ok());
}

TEST(AckTest, JoinSettlesEveryPart) {
  Recorder a, b;
  std::vector<Ack> parts;
  parts.push_back(a.make());
  parts.push_back(b.make());
  Ack joined = Ack::join(std::move(parts));
  EXPECT_EQ(a.calls + b.calls, 0);
  joined.settle(Error::permanent("rejected"));
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(b.last->error().cls(), ErrorClass::kPermanent);
}

TEST(AckTest, MoveAssignOverLiveHandleFailsIt) {
  Recorder a, b;
  Ack x = a.make();
  x = b.make();
  EXPECT_EQ(a.calls, 1);
  EXPECT_FALSE(a.last->ok());
  x.ok();
  EXPECT_TRUE(b.last->ok());
}

}  // namespace
}  // namespace junction

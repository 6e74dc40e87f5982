#include <gtest/gtest.h>

#include "unit/spec/spec_fixture.h"

namespace junction::spec {
namespace {

class TopicsSpecTest : public testing::SpecTest {};

TEST_F(TopicsSpecTest, TopicsTakeTheirSettings) {
  auto spec = parse(R"(apiVersion: junction/v1
storage: { dir: ./d, fsync: interval 50ms }
topics:
  orders.events: { partitions: 6, retention: 7d, key: order_id, compression: zstd }
  customers: { compaction: true, fsync: always, dead_letter: customers.bad, max_deliveries: 2 }
  plain:
)");
  ASSERT_TRUE(spec);
  ASSERT_EQ(spec->topics.size(), 3u);
  const auto& orders = spec->topics[0];
  EXPECT_EQ(orders.name, "orders.events");
  EXPECT_EQ(orders.config.partitions, 6);
  EXPECT_EQ(orders.config.retention_age, std::chrono::hours(24 * 7));
  EXPECT_EQ(orders.config.compression, log::Compression::kZstd);
  EXPECT_EQ(orders.key, "order_id");
  // The storage default applies where a topic sets none.
  EXPECT_EQ(orders.config.fsync.mode, log::FsyncPolicy::Mode::kInterval);
  EXPECT_EQ(orders.config.fsync.interval, std::chrono::milliseconds(50));
  const auto& customers = spec->topics[1];
  EXPECT_TRUE(customers.config.compaction);
  EXPECT_EQ(customers.config.fsync.mode, log::FsyncPolicy::Mode::kAlways);
  EXPECT_EQ(customers.config.dead_letter_topic, "customers.bad");
  EXPECT_EQ(customers.config.max_deliveries, 2);
  EXPECT_EQ(spec->topics[2].config.partitions, 1);
  EXPECT_EQ(spec->storage.fsync.mode, log::FsyncPolicy::Mode::kInterval);
}

TEST_F(TopicsSpecTest, MistakesPointAtTheirPlace) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
topics:
  orders: { partitons: 3 }
  bad/name: {}
  __internal: {}
  small: { partitions: 0, fsync: sometimes, compression: snappy }
)"),
            "spec.yaml:3:13: error: unknown field 'partitons'; did you mean 'partitions'?\n"
            "spec.yaml:4:3: error: topic name 'bad/name' has '/': use letters, digits, '.', '_' "
            "and '-'\n"
            "spec.yaml:5:3: error: topic names starting with '__' are kept for junction's own "
            "use\n"
            "spec.yaml:6:58: error: invalid value 'snappy' for field 'compression'; expected one "
            "of: none, lz4, zstd\n"
            "spec.yaml:6:24: error: partitions must be between 1 and 1024\n"
            "spec.yaml:6:34: error: fsync 'sometimes' is not one of: always, never, interval "
            "<duration> (e.g. 'interval 100ms')\n");
}

TEST_F(TopicsSpecTest, StorageFsyncIsChecked) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nstorage: { fsync: often }\n"),
            "spec.yaml:2:19: error: fsync 'often' is not one of: always, never, interval "
            "<duration> (e.g. 'interval 100ms')\n");
}

TEST_F(TopicsSpecTest, TopicsMustBeAMapping) {
  EXPECT_EQ(errors("apiVersion: junction/v1\ntopics: [a, b]\n"),
            "spec.yaml:2:9: error: expected a mapping of topic names to settings, got a "
            "sequence; write e.g. `topics: { orders: { partitions: 3 } }`\n");
}

}  // namespace
}  // namespace junction::spec

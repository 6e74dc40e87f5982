#include "observe/health.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace junction::observe {
namespace {

namespace json = boost::json;

TEST(HealthTest, NoComponentsIsReady) {
  Health h;
  EXPECT_TRUE(h.ready());
  EXPECT_TRUE(h.live());
  EXPECT_EQ(h.ready_report_json(), R"({"status":"ready","components":{}})");
}

TEST(HealthTest, ReadyOnlyWhenEveryComponentIsReady) {
  Health h;
  h.set_ready("http", true);
  h.set_ready("kafka", false, "connecting");
  EXPECT_FALSE(h.ready());
  EXPECT_EQ(h.ready_report_json(),
            R"({"status":"not_ready","components":{"http":{"ready":true,"reason":""},)"
            R"("kafka":{"ready":false,"reason":"connecting"}}})");
  h.set_ready("kafka", true);
  EXPECT_TRUE(h.ready());
  h.set_ready("flow", false, "stopped");
  EXPECT_FALSE(h.ready());
  h.remove("flow");
  EXPECT_TRUE(h.ready());
}

TEST(HealthTest, ReportEscapesNamesAndReasons) {
  Health h;
  h.set_ready("db \"main\"", false, "dial tcp: refused\n\tretrying \xC3\xA9");
  json::value v = json::parse(h.ready_report_json());
  EXPECT_EQ(v.at("status").as_string(), "not_ready");
  const json::object& c = v.at("components").at("db \"main\"").as_object();
  EXPECT_FALSE(c.at("ready").as_bool());
  EXPECT_EQ(c.at("reason").as_string(), "dial tcp: refused\n\tretrying \xC3\xA9");
}

}  // namespace
}  // namespace junction::observe

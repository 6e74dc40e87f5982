#include "connectors/mqtt/topic_template.h"

#include <gtest/gtest.h>

namespace junction::connectors::mqtt {
namespace {

Message message(std::string key = "", std::string id = "01ID") {
  Message m;
  m.key = std::move(key);
  m.id = std::move(id);
  return m;
}

TEST(TopicTemplateTest, ConstantTopicRendersAsIs) {
  auto t = TopicTemplate::parse("plant/line-1/status");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_TRUE(t->is_constant());
  EXPECT_EQ(*t->render(message()), "plant/line-1/status");
}

TEST(TopicTemplateTest, FillsKeyIdAndHeaders) {
  auto t = TopicTemplate::parse("devices/{{key}}/{{header.kind}}/{{id}}");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_FALSE(t->is_constant());
  Message m = message("d-7", "01ABC");
  m.headers.set("Kind", "commands");  // header names compare case-insensitively
  EXPECT_EQ(*t->render(m), "devices/d-7/commands/01ABC");
}

TEST(TopicTemplateTest, BridgesTheTopicAMessageCameFrom) {
  auto t = TopicTemplate::parse("mirror/{{header.x-junction-mqtt-topic}}");
  ASSERT_TRUE(t.ok());
  Message m = message();
  m.headers.set("x-junction-mqtt-topic", "sensors/a/t");
  EXPECT_EQ(*t->render(m), "mirror/sensors/a/t");
}

TEST(TopicTemplateTest, MissingValuesAreInvalid) {
  auto t = TopicTemplate::parse("devices/{{key}}/{{header.kind}}");
  ASSERT_TRUE(t.ok());
  auto no_key = t->render(message());
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().cls(), ErrorClass::kInvalid);
  auto no_header = t->render(message("d-1"));
  ASSERT_FALSE(no_header.ok());
  EXPECT_EQ(no_header.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(no_header.error().message().find("kind"), std::string::npos);
}

TEST(TopicTemplateTest, AWildcardFromTheMessageIsInvalid) {
  auto t = TopicTemplate::parse("devices/{{key}}");
  ASSERT_TRUE(t.ok());
  for (const char* key : {"+", "a/#", "x+y"}) {
    auto r = t->render(message(key));
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
  }
}

TEST(TopicTemplateTest, RejectsBadTemplates) {
  for (const char* text : {"", "a/+/b", "a/#", "a/{{key", "a/{{nope}}", "a/{{header.}}"}) {
    auto t = TopicTemplate::parse(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().cls(), ErrorClass::kInvalid) << text;
  }
}

TEST(TopicNameTest, ChecksMqttRules) {
  EXPECT_TRUE(check_topic_name("a/b/c").ok());
  EXPECT_TRUE(check_topic_name("/leading/slash").ok());
  EXPECT_FALSE(check_topic_name("").ok());
  EXPECT_FALSE(check_topic_name("a/+").ok());
  EXPECT_FALSE(check_topic_name("a/#").ok());
  EXPECT_FALSE(check_topic_name(std::string("a\xff", 2)).ok());  // not UTF-8
}

}  // namespace
}  // namespace junction::connectors::mqtt

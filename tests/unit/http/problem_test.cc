#include "http/problem.h"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

namespace junction::http {
namespace {

TEST(ProblemTest, HasRfc9457Shape) {
  Response res = problem_response(413, "Payload Too Large", "body over 1024 bytes", "req-1");
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_EQ(res[boost::beast::http::field::content_type], "application/problem+json");
  EXPECT_EQ(res[boost::beast::http::field::content_length], std::to_string(res.body().size()));

  auto json = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(json.at("type").as_string(), "https://junction.dev/problems/payload-too-large");
  EXPECT_EQ(json.at("title").as_string(), "Payload Too Large");
  EXPECT_EQ(json.at("status").as_int64(), 413);
  EXPECT_EQ(json.at("detail").as_string(), "body over 1024 bytes");
  EXPECT_EQ(json.at("request_id").as_string(), "req-1");
  EXPECT_EQ(json.size(), 5u);
}

TEST(ProblemTest, EscapesStrings) {
  Response res = problem_response(400, "Bad \"quoted\"", "line\nbreak \\ done", "id");
  auto json = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(json.at("title").as_string(), "Bad \"quoted\"");
  EXPECT_EQ(json.at("detail").as_string(), "line\nbreak \\ done");
}

TEST(ProblemTest, KeepsRequestVersion) {
  EXPECT_EQ(problem_response(404, "Not Found", "", "x", 10).version(), 10u);
}

TEST(ProblemTest, EmptyTitleUsesReasonPhrase) {
  auto json = boost::json::parse(problem_response(404, "", "", "x").body()).as_object();
  EXPECT_EQ(json.at("title").as_string(), "Not Found");
}

TEST(ProblemTest, ExtensionMembersFollowTheStandardOnes) {
  boost::json::object extensions{{"errors", boost::json::array{"a"}}, {"status", 200}};
  Response res = problem_response(422, "Unprocessable Content", "d", "x", 11, extensions);
  auto json = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(json.at("errors").as_array().size(), 1u);
  EXPECT_EQ(json.at("status").as_int64(), 422);  // an extension never replaces a standard member
  EXPECT_EQ(json.size(), 6u);
}

TEST(ProblemTest, SlugsByStatus) {
  EXPECT_EQ(problem_slug(400), "bad-request");
  EXPECT_EQ(problem_slug(401), "unauthorized");
  EXPECT_EQ(problem_slug(403), "forbidden");
  EXPECT_EQ(problem_slug(404), "not-found");
  EXPECT_EQ(problem_slug(405), "method-not-allowed");
  EXPECT_EQ(problem_slug(408), "request-timeout");
  EXPECT_EQ(problem_slug(429), "too-many-requests");
  EXPECT_EQ(problem_slug(431), "header-fields-too-large");
  EXPECT_EQ(problem_slug(500), "internal-error");
  EXPECT_EQ(problem_slug(502), "bad-gateway");
  EXPECT_EQ(problem_slug(503), "unavailable");
  EXPECT_EQ(problem_slug(504), "gateway-timeout");
  EXPECT_EQ(problem_slug(418), "client-error");
  EXPECT_EQ(problem_slug(599), "server-error");
}

}  // namespace
}  // namespace junction::http

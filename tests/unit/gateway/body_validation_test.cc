#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>

#include "gateway/gateway.h"
#include "jsonschema/schema.h"
#include "unit/http/test_support.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;
using http::testing::TestServer;

constexpr const char* kOrderSchema = R"({
  "type": "object",
  "required": ["id", "total"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string"},
    "total": {"type": "number", "minimum": 0},
    "lines": {"type": "array", "items": {"type": "integer"}}
  }
})";

asio::awaitable<http::Response> counting_echo(std::atomic<int>* hits, http::Request& req,
                                              const http::RequestInfo& info) {
  ++*hits;
  return http::testing::echo_handler(req, info);
}

// A gateway whose routes validate request bodies, in front of an upstream
// that counts what reaches it.
class BodyValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("junction-gw-body-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "order.json") << kOrderSchema;
    auto schema = jsonschema::Schema::load(dir_ / "order.json");
    ASSERT_TRUE(schema.ok()) << schema.error().message();

    spec::BodyValidationSpec validate;
    validate.schema_file = dir_ / "order.json";
    validate.schema = *schema;
    validate.content_types = {"application/json", "application/merge-patch+json"};

    spec_.host = "127.0.0.1";
    spec_.api_keys.emplace();
    spec_.api_keys->keys = "ops:ops-key-0123";
    auto add = [&](std::string path) -> spec::GatewayRouteSpec& {
      spec::GatewayRouteSpec r;
      r.path = std::move(path);
      r.to.upstream = "counted";
      r.validate = validate;
      spec_.routes.push_back(std::move(r));
      return spec_.routes.back();
    };
    add("/orders");
    add("/secured").require.auth = spec::AuthMode::kApiKey;
    add("/limited").rate_limit = spec::RouteRateLimitSpec{"ip", {"1/min"}};

    spec::UpstreamSpec counted;
    counted.name = "counted";
    counted.targets = {"http://127.0.0.1:" + std::to_string(upstream_.port())};
    upstreams_ = {counted};
  }

  void TearDown() override {
    upstream_.io.run(destroy());
    fs::remove_all(dir_);
  }

  Gateway& gateway() {
    if (!gateway_) {
      auto g = Gateway::create(spec_, upstreams_, upstream_.io.ctx.get_executor(), metrics_);
      EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message());
      gateway_ = std::move(*g);
    }
    return *gateway_;
  }

  http::Response send(bhttp::verb method, std::string target, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {
                          {"Content-Type", "application/json"}}) {
    http::Request req{method, target, 11};
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::move(body);
    req.prepare_payload();
    http::RequestInfo info;
    info.remote_address = "10.1.2.3";
    info.request_id = "rid-1";
    return upstream_.io.run(gateway().handle(req, info));
  }
  http::Response post(std::string body, std::vector<std::pair<std::string, std::string>> headers = {
                                            {"Content-Type", "application/json"}}) {
    return send(bhttp::verb::post, "/orders", std::move(body), std::move(headers));
  }

  static boost::json::object problem(const http::Response& res) {
    EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
    auto body = boost::json::parse(res.body()).as_object();
    EXPECT_EQ(body["status"].as_int64(), res.result_int());
    EXPECT_EQ(body["request_id"].as_string(), "rid-1");
    return body;
  }

  std::string failures(const std::string& route) {
    std::string text = metrics_.prometheus_text();
    std::string prefix = "junction_gateway_validation_failures_total{route=\"" + route + "\"} ";
    auto at = text.find(prefix);
    if (at == std::string::npos) return "absent";
    at += prefix.size();
    return text.substr(at, text.find('\n', at) - at);
  }

  asio::awaitable<void> destroy() {
    gateway_.reset();
    co_return;
  }

  fs::path dir_;
  std::atomic<int> hits_{0};
  TestServer upstream_{[hits = &hits_](http::Request& req, const http::RequestInfo& info) {
    return counting_echo(hits, req, info);
  }};
  observe::Registry metrics_;
  spec::GatewaySpec spec_;
  std::vector<spec::UpstreamSpec> upstreams_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(BodyValidationTest, ValidBodyReachesTheUpstreamUnchanged) {
  auto res =
      post(R"({"id":"o-1","total":12.5})", {{"Content-Type", "Application/JSON; charset=utf-8"}});
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(res.body(), R"(POST /orders {"id":"o-1","total":12.5})");
  auto patch = send(bhttp::verb::patch, "/orders", R"({"id":"o-1","total":1})",
                    {{"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(patch.result_int(), 200) << patch.body();
  EXPECT_EQ(hits_.load(), 2);
  EXPECT_EQ(failures("/orders"), "0");
}

TEST_F(BodyValidationTest, MethodsWithoutBodySemanticsPassUnchecked) {
  auto res = send(bhttp::verb::get, "/orders", "", {});
  EXPECT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(send(bhttp::verb::delete_, "/orders", "", {}).result_int(), 200);
  EXPECT_EQ(hits_.load(), 2);
}

TEST_F(BodyValidationTest, OtherMediaTypesAre415) {
  auto text = post(R"({"id":"o-1","total":1})", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text.result_int(), 415);
  auto body = problem(text);
  EXPECT_EQ(body["type"].as_string(), "https://junction.dev/problems/unsupported-media-type");
  EXPECT_EQ(body["detail"].as_string(),
            "the request body must be application/json or application/merge-patch+json");
  EXPECT_EQ(post(R"({"id":"o-1","total":1})", {}).result_int(), 415);  // no Content-Type
  auto gzip =
      post("\x1f\x8b", {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(gzip.result_int(), 415);
  EXPECT_EQ(problem(gzip)["detail"].as_string(), "the request body must not be content-encoded");
  EXPECT_EQ(hits_.load(), 0);
  EXPECT_EQ(failures("/orders"), "3");
}

TEST_F(BodyValidationTest, BodyThatIsNotJsonIs400) {
  for (const char* body : {"{\"id\":", "", "not json", "{\"a\":1} trailing"}) {
    auto res = post(body);
    EXPECT_EQ(res.result_int(), 400) << body;
    EXPECT_EQ(problem(res)["detail"].as_string(), "the request body is not valid JSON");
  }
  auto deep = post(std::string(300, '[') + std::string(300, ']'));
  EXPECT_EQ(deep.result_int(), 400);
  EXPECT_EQ(problem(deep)["detail"].as_string(), "the request body nests deeper than 256 levels");
  EXPECT_EQ(hits_.load(), 0);
}

TEST_F(BodyValidationTest, SchemaViolationsAre422WithPointers) {
  auto res = post(R"({"id":7,"total":-1})");
  ASSERT_EQ(res.result_int(), 422);
  auto body = problem(res);
  EXPECT_EQ(body["type"].as_string(), "https://junction.dev/problems/unprocessable-content");
  EXPECT_EQ(body["detail"].as_string(), "the request body does not match the route's schema");
  const auto& errors = body["errors"].as_array();
  ASSERT_EQ(errors.size(), 2u) << res.body();
  EXPECT_EQ(errors[0].at("pointer").as_string(), "/id");
  EXPECT_EQ(errors[1].at("pointer").as_string(), "/total");
  EXPECT_FALSE(errors[0].at("message").as_string().empty());

  auto missing = post(R"({"id":"o-1"})");
  ASSERT_EQ(missing.result_int(), 422);
  auto root = problem(missing)["errors"].as_array();
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0].at("pointer").as_string(), "");
  EXPECT_NE(root[0].at("message").as_string().find("total"), std::string::npos);
  EXPECT_EQ(hits_.load(), 0);
  EXPECT_EQ(failures("/orders"), "2");
}

TEST_F(BodyValidationTest, TheErrorListIsBoundedAndEchoesLittle) {
  std::string lines;
  for (int i = 0; i < 30; ++i) lines += std::string(i ? "," : "") + "\"x\"";
  auto many = post(R"({"id":"o-1","total":1,"lines":[)" + lines + "]}");
  ASSERT_EQ(many.result_int(), 422);
  auto body = problem(many);
  EXPECT_EQ(body["errors"].as_array().size(), BodyValidator::kMaxListedViolations);
  EXPECT_EQ(body["detail"].as_string(),
            "the request body does not match the route's schema: 30 problems, the first 10 "
            "listed");

  // additionalProperties names the offending property: a 20 000-byte name
  // is cut, at a UTF-8 boundary, in both the pointer and the message.
  std::string name = "\xc3\xa9" + std::string(20'000, 'k');
  auto huge = post(R"({"id":"o-1","total":1,")" + name + R"(":1})");
  ASSERT_EQ(huge.result_int(), 422);
  EXPECT_LT(huge.body().size(), 2048u) << huge.body().size();
  auto listed = problem(huge)["errors"].as_array();
  ASSERT_FALSE(listed.empty());
  for (const auto& e : listed) {
    EXPECT_LE(e.at("message").as_string().size(), BodyValidator::kMaxTextBytes + 3);
    EXPECT_LE(e.at("pointer").as_string().size(), BodyValidator::kMaxTextBytes + 3);
  }
  EXPECT_EQ(hits_.load(), 0);
}

TEST_F(BodyValidationTest, AuthenticationWinsOverValidation) {
  auto anonymous = send(bhttp::verb::post, "/secured", "not json");
  EXPECT_EQ(anonymous.result_int(), 401);
  EXPECT_EQ(failures("/secured"), "0");
  auto keyed = send(bhttp::verb::post, "/secured", "not json",
                    {{"Content-Type", "application/json"}, {"X-Api-Key", "ops-key-0123"}});
  EXPECT_EQ(keyed.result_int(), 400);
  EXPECT_EQ(failures("/secured"), "1");
  EXPECT_EQ(hits_.load(), 0);
}

TEST_F(BodyValidationTest, RateLimitWinsOverValidation) {
  auto first = send(bhttp::verb::post, "/limited", R"({"id":1})");
  EXPECT_EQ(first.result_int(), 422);
  EXPECT_EQ(first["RateLimit-Limit"], "1");  // refusals keep the rate limit headers
  auto second = send(bhttp::verb::post, "/limited", R"({"id":1})");
  EXPECT_EQ(second.result_int(), 429);
  EXPECT_EQ(failures("/limited"), "1");
  EXPECT_EQ(hits_.load(), 0);
}

TEST_F(BodyValidationTest, UncompiledSchemaIsACreateError) {
  spec_.routes[0].validate->schema = nullptr;
  auto g = Gateway::create(spec_, upstreams_, upstream_.io.ctx.get_executor(), metrics_);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().cls(), ErrorClass::kInvalid);
}

}  // namespace
}  // namespace junction::gateway

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "http/client.h"
#include "http/server.h"
#include "unit/http/test_support.h"

namespace junction::http {
namespace {

using testing::TestServer;

// Self-signed server and client certificates made by the openssl CLI in a
// fresh directory, once for all TLS tests.
class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/junction-http-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = new std::string(pattern);
    ok_ = make_cert("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1") &&
          make_cert("client", "/O=Junction/CN=test-client", "subjectAltName=DNS:test-client");
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "openssl CLI could not make test certificates";
  }

  static bool make_cert(const std::string& name, const std::string& subject,
                        const std::string& san) {
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -days 2 -subj '" +
        subject + "' -addext '" + san + "' -keyout " + path(name + ".key") + " -out " +
        path(name + ".pem") + " 2>/dev/null";
    return std::system(cmd.c_str()) == 0;
  }
  static std::string path(const std::string& file) { return *dir_ + "/" + file; }

  static TlsOptions server_tls() { return {path("server.pem"), path("server.key")}; }
  static TlsOptions mutual_tls() {
    return {path("server.pem"), path("server.key"), path("client.pem"), true};
  }
  static ClientOptions trusting_client() {
    ClientOptions options;
    options.ca_file = path("server.pem");
    return options;
  }

  static inline std::string* dir_ = nullptr;
  static inline bool ok_ = false;
};

TEST_F(TlsTest, RoundTrip) {
  TestServer server(testing::echo_handler, {}, server_tls());
  server.client(trusting_client());
  for (int i = 0; i < 3; ++i) {
    auto res = server.get("/secure");
    ASSERT_TRUE(res.ok()) << res.error().message();
    EXPECT_EQ(res->body(), "GET /secure ");
    EXPECT_EQ((*res)["X-Seen-Tls"], "yes");
    EXPECT_EQ((*res)["X-Seen-Subject"], "");
  }
  EXPECT_EQ(server.server().accepted_connections(), 1u);
}

TEST_F(TlsTest, UntrustedServerIsPermanentError) {
  TestServer server(testing::echo_handler, {}, server_tls());
  server.client({});  // system roots only
  auto res = server.get();
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().cls(), ErrorClass::kPermanent) << res.error().message();
}

TEST_F(TlsTest, ClientCertificateSubjectReachesHandler) {
  TestServer server(testing::echo_handler, {}, mutual_tls());
  ClientOptions options = trusting_client();
  options.cert_file = path("client.pem");
  options.key_file = path("client.key");
  server.client(options);
  auto res = server.get("/who");
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ((*res)["X-Seen-Subject"], "CN=test-client,O=Junction");
}

TEST_F(TlsTest, MissingClientCertificateIsRejected) {
  TestServer server(testing::echo_handler, {}, mutual_tls());
  server.client(trusting_client());
  auto res = server.get();
  EXPECT_FALSE(res.ok());
}

TEST_F(TlsTest, UntrustedClientCertificateIsRejected) {
  TestServer server(testing::echo_handler, {}, mutual_tls());
  ClientOptions options = trusting_client();
  // The server certificate is valid but not issued by the client CA.
  options.cert_file = path("server.pem");
  options.key_file = path("server.key");
  server.client(options);
  EXPECT_FALSE(server.get().ok());
}

TEST_F(TlsTest, PlainHttpToTlsPortFails) {
  TestServer server(testing::echo_handler, {}, server_tls());
  testing::RawClient raw(server.port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  bool closed = false;
  std::string out = raw.read_until_close(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(out.find("HTTP/1.1 200"), std::string::npos);
}

}  // namespace
}  // namespace junction::http

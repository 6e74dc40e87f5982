// libFuzzer target: the server's HTTP request parser on arbitrary bytes.
// It must never crash or read out of bounds; where the bytes are split must
// not change what it makes of them; and what it accepts, Beast's request
// parser (which it replaced on the usual path) must accept as the same
// request: it may be stricter than Beast, never more lenient.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server_request_parser.h"

namespace {

namespace bhttp = boost::beast::http;
using junction::http::ServerRequestParser;

struct Outcome {
  boost::system::error_code ec;
  bool done = false;
  bool hands_over = false;
  std::string method;
  std::string target;
  unsigned version = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> fields;
  bool keep_alive = false;
  size_t left = 0;

  bool operator==(const Outcome&) const = default;
};

template <class Message>
void describe(const Message& req, Outcome& out) {
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  out.version = req.version();
  out.body = req.body();
  for (const auto& f : req) out.fields.emplace_back(f.name_string(), f.value());
}

Outcome parse(std::string_view bytes, size_t split) {
  ServerRequestParser parser;
  parser.header_limit(1024);
  parser.body_limit(4096);
  Outcome out;
  std::string buffer;
  size_t offered = 0;
  const std::string_view pieces[] = {bytes.substr(0, split), bytes.substr(split)};
  for (const std::string_view piece : pieces) {
    if (parser.is_done() || parser.hands_over() || out.ec) break;
    buffer.append(piece);
    offered += piece.size();
    const size_t used = parser.put(boost::asio::buffer(buffer.data(), buffer.size()), out.ec);
    if (used > buffer.size()) std::abort();
    buffer.erase(0, used);
    if (out.ec == bhttp::error::need_more) out.ec = {};
  }
  out.done = parser.is_done();
  out.hands_over = parser.hands_over();
  if (out.done) {
    out.keep_alive = parser.keep_alive();
    out.left = buffer.size() + (bytes.size() - offered);
    describe(parser.get(), out);
  }
  return out;
}

// Beast on the bytes of the message `mine` accepted.
void check_beast_agrees(std::string_view bytes, const Outcome& mine) {
  bhttp::request_parser<bhttp::string_body> beast;
  beast.header_limit(1024);
  beast.body_limit(4096);
  beast.eager(true);
  boost::system::error_code ec;
  const std::string_view message = bytes.substr(0, bytes.size() - mine.left);
  const size_t used = beast.put(boost::asio::buffer(message.data(), message.size()), ec);
  if (ec || !beast.is_done() || used != message.size()) std::abort();
  Outcome theirs;
  describe(beast.get(), theirs);
  if (theirs.method != mine.method || theirs.target != mine.target ||
      theirs.version != mine.version || theirs.body != mine.body || theirs.fields != mine.fields ||
      beast.keep_alive() != mine.keep_alive) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = bytes.empty() ? 0 : data[0] * bytes.size() / 256;
  const Outcome whole = parse(bytes, bytes.size());
  const Outcome two = parse(bytes, split);
  if (!(whole == two)) std::abort();
  if (whole.done) check_beast_agrees(bytes, whole);
  return 0;
}

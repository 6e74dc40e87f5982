// libFuzzer target: the client's HTTP response parser on arbitrary bytes,
// fed whole and then in two pieces split where the first byte says, the way
// reads deliver them. It must never crash or read out of bounds, and where
// the bytes are split must not change what it makes of them. Relaying the
// fields as lines must not change it either, and each relayed line must be
// a field the parser would have stored.
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client_response_parser.h"

namespace {

using junction::http::ClientResponseParser;

struct Outcome {
  boost::system::error_code ec;
  bool done = false;
  unsigned status = 0;
  std::string reason;
  std::string body;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string lines;  // relayed
  bool keep_alive = false;
  size_t left = 0;

  bool operator==(const Outcome&) const = default;
};

Outcome parse(std::string_view bytes, size_t split, bool head_request, bool relay = false) {
  ClientResponseParser parser;
  parser.header_limit(1024);
  parser.body_limit(4096);
  parser.skip(head_request);
  Outcome out;
  if (relay) parser.relay_fields({&out.lines, 0, nullptr});
  std::string buffer;
  size_t offered = 0;  // of bytes, into the buffer
  const std::string_view pieces[] = {bytes.substr(0, split), bytes.substr(split)};
  for (const std::string_view piece : pieces) {
    if (parser.is_done() || out.ec) break;
    buffer.append(piece);
    offered += piece.size();
    const size_t used = parser.put(boost::asio::buffer(buffer.data(), buffer.size()), out.ec);
    if (used > buffer.size()) std::abort();
    buffer.erase(0, used);
    if (out.ec == boost::beast::http::error::need_more) out.ec = {};
  }
  if (!out.ec && !parser.is_done()) parser.put_eof(out.ec);
  out.done = parser.is_done();
  out.keep_alive = parser.keep_alive() && !parser.need_eof();
  if (out.done) {
    out.left = buffer.size() + (bytes.size() - offered);
    const auto& res = parser.get();
    out.status = res.result_int();
    out.reason = std::string(res.reason());
    out.body = res.body();
    for (const auto& f : res) out.fields.emplace_back(f.name_string(), f.value());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool head_request = data[0] & 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = bytes.empty() ? 0 : (data[0] >> 1) * bytes.size() / 128;
  const Outcome whole = parse(bytes, bytes.size(), head_request);
  const Outcome two = parse(bytes, split, head_request);
  if (!(whole == two)) std::abort();
  const Outcome relayed = parse(bytes, bytes.size(), head_request, true);
  if (relayed.ec != whole.ec || relayed.done != whole.done || relayed.status != whole.status ||
      relayed.reason != whole.reason || relayed.body != whole.body ||
      relayed.keep_alive != whole.keep_alive || relayed.left != whole.left) {
    std::abort();
  }
  if (!relayed.done) return 0;
  std::string_view rest = relayed.lines;
  while (!rest.empty()) {
    const size_t end = rest.find("\r\n");
    if (end == std::string_view::npos) std::abort();
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 2);
    const size_t colon = line.find(": ");
    if (colon == std::string_view::npos) std::abort();
    const std::pair<std::string, std::string> field{line.substr(0, colon), line.substr(colon + 2)};
    if (std::find(whole.fields.begin(), whole.fields.end(), field) == whole.fields.end()) {
      std::abort();
    }
  }
  return 0;
}

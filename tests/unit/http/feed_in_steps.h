#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <string_view>

namespace junction::http::testing {

struct Steps {
  boost::system::error_code ec;  // need_more is not an error here
  size_t left = 0;               // bytes not consumed, offered or not
};

// Feeds `parser` the way read_parsed does: the bytes not consumed so far,
// `step` more at a time, until finished() or the bytes run out.
template <class Parser, class Finished>
Steps feed_in_steps(Parser& parser, std::string_view raw, size_t step, Finished finished) {
  Steps out;
  std::string buffer;
  size_t offered = 0;
  while (!finished() && offered < raw.size()) {
    const size_t n = std::min(step, raw.size() - offered);
    buffer.append(raw.substr(offered, n));
    offered += n;
    const size_t used = parser.put(boost::asio::buffer(buffer.data(), buffer.size()), out.ec);
    buffer.erase(0, used);
    if (out.ec == boost::beast::http::error::need_more) out.ec = {};
    if (out.ec) break;
  }
  out.left = buffer.size() + (raw.size() - offered);
  return out;
}

}  // namespace junction::http::testing

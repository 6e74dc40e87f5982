#pragma once

#include <boost/beast/http/field.hpp>

namespace junction::http {

// The fields that describe one connection, not the message (RFC 9110 7.6.1,
// and the Proxy-* of earlier proxies): a proxy removes them, with those a
// Connection field names.
inline bool is_hop_by_hop(boost::beast::http::field name) {
  using boost::beast::http::field;
  switch (name) {
    case field::connection:
    case field::keep_alive:
    case field::proxy_connection:
    case field::te:
    case field::trailer:
    case field::transfer_encoding:
    case field::upgrade:
    case field::proxy_authenticate:
    case field::proxy_authorization:
      return true;
    default:
      return false;
  }
}

}  // namespace junction::http

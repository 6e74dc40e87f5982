#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

struct ssl_st;
namespace boost::asio::ssl {
class context;
}

namespace junction::http {

// Server-side TLS, from PEM files. A client_ca_file turns on client
// certificate verification (mTLS).
struct TlsOptions {
  std::string cert_file;  // certificate chain, leaf first
  std::string key_file;
  std::string client_ca_file;
  bool require_client_cert = false;
};

namespace detail {

using SslContextPtr = std::shared_ptr<boost::asio::ssl::context>;

// Reads the files now, so that a bad path or key fails at startup, not on
// the first handshake.
Result<SslContextPtr> make_server_tls_context(const TlsOptions& options);

struct ClientTlsConfig {
  bool verify_peer = true;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};
Result<SslContextPtr> make_client_tls_context(const ClientTlsConfig& config);

// SNI and host name (or IP) verification for one client session.
Status prepare_client_session(ssl_st* ssl, const std::string& host);

// One-line RFC 2253 subject of the peer certificate, only if it verified;
// empty otherwise.
std::string verified_peer_subject(ssl_st* ssl);

}  // namespace detail
}  // namespace junction::http

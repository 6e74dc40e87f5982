#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

namespace junction::http::detail {

namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error_text() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

Error file_error(std::string_view what, const std::string& path,
                 const boost::system::error_code& ec) {
  return Error::invalid("tls: cannot load " + std::string(what) + " '" + path +
                        "': " + ec.message());
}

void harden(ssl::context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
}

}  // namespace

Result<SslContextPtr> make_server_tls_context(const TlsOptions& options) {
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    harden(*ctx);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(options.cert_file, ec);
    if (ec) return file_error("certificate", options.cert_file, ec);
    ctx->use_private_key_file(options.key_file, ssl::context::pem, ec);
    if (ec) return file_error("private key", options.key_file, ec);
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return Error::invalid("tls: private key '" + options.key_file +
                            "' does not match certificate '" + options.cert_file + "'");
    }
    if (!options.client_ca_file.empty()) {
      ctx->load_verify_file(options.client_ca_file, ec);
      if (ec) return file_error("client CA", options.client_ca_file, ec);
      // Tells clients which issuers we accept, so they pick the right cert.
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
      ssl::verify_mode mode = ssl::verify_peer;
      if (options.require_client_cert) mode |= ssl::verify_fail_if_no_peer_cert;
      ctx->set_verify_mode(mode, ec);
      if (ec) return Error::invalid("tls: " + ec.message());
      // Session resumption with client verification fails without an id context.
      static constexpr unsigned char kSessionContext[] = "junction";
      SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext,
                                     sizeof(kSessionContext) - 1);
    }
    return ctx;
  } catch (const std::exception& e) {
    return Error::invalid(std::string("tls: ") + e.what());
  }
}

Result<SslContextPtr> make_client_tls_context(const ClientTlsConfig& config) {
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    harden(*ctx);
    boost::system::error_code ec;
    if (config.verify_peer) {
      ctx->set_default_verify_paths(ec);
      if (ec) return Error::invalid("tls: default verify paths: " + ec.message());
      if (!config.ca_file.empty()) {
        ctx->load_verify_file(config.ca_file, ec);
        if (ec) return file_error("CA", config.ca_file, ec);
      }
      ctx->set_verify_mode(ssl::verify_peer, ec);
    } else {
      ctx->set_verify_mode(ssl::verify_none, ec);
    }
    if (ec) return Error::invalid("tls: " + ec.message());
    if (!config.cert_file.empty()) {
      ctx->use_certificate_chain_file(config.cert_file, ec);
      if (ec) return file_error("client certificate", config.cert_file, ec);
      ctx->use_private_key_file(config.key_file.empty() ? config.cert_file : config.key_file,
                                ssl::context::pem, ec);
      if (ec) return file_error("client key", config.key_file, ec);
    }
    return ctx;
  } catch (const std::exception& e) {
    return Error::invalid(std::string("tls: ") + e.what());
  }
}

Status prepare_client_session(ssl_st* ssl, const std::string& host) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (!ec) {
    // SNI must not carry an IP address (RFC 6066); verify the IP SAN instead.
    if (X509_VERIFY_PARAM_set1_ip_asc(param, address.to_string().c_str()) != 1) {
      return Error::invalid("tls: cannot verify IP " + host + ": " + openssl_error_text());
    }
    return ok_status();
  }
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return Error::invalid("tls: cannot set SNI " + host + ": " + openssl_error_text());
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1) {
    return Error::invalid("tls: cannot verify host " + host + ": " + openssl_error_text());
  }
  return ok_status();
}

std::string verified_peer_subject(ssl_st* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  std::string subject;
  if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len > 0 && data != nullptr) subject.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  return subject;
}

}  // namespace junction::http::detail

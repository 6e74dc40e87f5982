#include "http/wire.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/http/status.hpp>
#include <cerrno>

namespace junction::http {
namespace {

namespace bhttp = boost::beast::http;

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

void append_version(unsigned version, std::string& out) {
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
}

template <class Fields>
size_t fields_size(const Fields& fields) {
  size_t n = 2;
  for (const auto& f : fields) n += f.name_string().size() + f.value().size() + 4;
  return n;
}

// Every field but any named `skip` (by code; field::unknown skips none).
template <class Fields>
void append_field_lines(const Fields& fields, std::string& out,
                        bhttp::field skip = bhttp::field::unknown) {
  for (const auto& f : fields) {
    if (skip != bhttp::field::unknown && f.name() == skip) continue;
    out += sv(f.name_string());
    out += ": ";
    out += sv(f.value());
    out += "\r\n";
  }
}

// The field lines and the blank line that ends the header.
template <class Fields>
void append_fields(const Fields& fields, std::string& out) {
  append_field_lines(fields, out);
  out += "\r\n";
}

}  // namespace

void format_header(const Request& req, std::string& out) {
  out.clear();
  out.reserve(req.method_string().size() + req.target().size() + 12 + fields_size(req));
  out += sv(req.method_string());
  out += ' ';
  out += sv(req.target());
  out += ' ';
  append_version(req.version(), out);
  out += "\r\n";
  append_fields(req, out);
}

void format_header(const Request& req, const RequestLine& line, std::string& out) {
  const std::string_view target = line.target.empty() ? sv(req.target()) : line.target;
  out.clear();
  out.reserve(req.method_string().size() + line.prefix.size() + target.size() + line.host.size() +
              line.fields.size() + 20 + fields_size(req));
  out += sv(req.method_string());
  out += ' ';
  out += line.prefix;
  out += target;
  out += ' ';
  append_version(req.version(), out);
  out += "\r\n";
  if (!line.host.empty()) {
    out += "Host: ";
    out += line.host;
    out += "\r\n";
  }
  // The line's Host replaces the message's own.
  append_field_lines(req, out, line.host.empty() ? bhttp::field::unknown : bhttp::field::host);
  out += line.fields;
  out += "\r\n";
}

void format_header(const Response& res, std::string& out, std::string_view lines) {
  out.clear();
  // Beast keeps a reason phrase only when one was set; otherwise it writes
  // the standard one for the code.
  std::string_view reason = sv(res.reason());
  if (reason.empty()) reason = sv(bhttp::obsolete_reason(res.result()));
  out.reserve(reason.size() + 16 + fields_size(res) + lines.size());
  append_version(res.version(), out);
  out += ' ';
  const unsigned code = res.result_int();
  out += static_cast<char>('0' + code / 100 % 10);
  out += static_cast<char>('0' + code / 10 % 10);
  out += static_cast<char>('0' + code % 10);
  out += ' ';
  out += reason;
  out += "\r\n";
  append_field_lines(res, out);
  out += lines;
  out += "\r\n";
}

bool WireMessage::write_now(boost::asio::ip::tcp::socket& socket, boost::system::error_code& ec) {
  for (;;) {
    std::array<iovec, 2> iov;
    size_t count = 0;
    for (const auto& b : buffers_) {
      if (b.size() > 0) iov[count++] = {const_cast<void*>(b.data()), b.size()};
    }
    if (count == 0) return true;
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    // MSG_DONTWAIT whatever the descriptor's mode; MSG_NOSIGNAL as Asio does.
    const ssize_t sent = ::sendmsg(socket.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      ec.assign(errno, boost::asio::error::get_system_category());
      return true;
    }
    size_t skip = static_cast<size_t>(sent);
    for (auto& b : buffers_) {
      const size_t n = std::min(skip, b.size());
      b += n;
      skip -= n;
    }
  }
}

}  // namespace junction::http

#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>

#include "core/error.h"
#include "http/body_source.h"
#include "http/types.h"

namespace junction::http {

namespace asio = boost::asio;

struct RequestInfo;

// A request handed over with its body unread: the handler reads the body as
// a BodySource (each read bounded by the server's body_timeout, the whole by
// the body limit chosen for it) and answers once, whole or relayed.
class RequestStream : public BodySource {
 public:
  enum class BodyFailure : uint8_t {
    kNone,
    kTooLarge,   // over the body limit: Error::invalid
    kMalformed,  // bad chunk framing: Error::invalid
    kTransport,  // the client went away or stalled: Error::transient
  };

  virtual const RequestHeader& header() const = 0;
  // The announced Content-Length; nullopt for a chunked body.
  virtual std::optional<uint64_t> content_length() const = 0;
  // Body bytes read so far.
  virtual uint64_t body_read() const = 0;
  // Why the last read_some failed, so that a handler relaying the body
  // elsewhere can tell the client's fault from the other side's.
  virtual BodyFailure body_failure() const = 0;
  // True once the body has been read to its end.
  virtual bool body_complete() const = 0;

  // Answers with a whole response, as a Handler's would be sent.
  virtual asio::awaitable<Result<void>> respond(Response res) = 0;
  // Answers with `head` (its body ignored) and then `body` read to its end:
  // as is under head's Content-Length, else chunked (HTTP/1.1) or delimited
  // by closing the connection (HTTP/1.0). Returns the body bytes sent. A
  // failure after the header is out leaves the connection to be closed:
  // there is no way left to tell the client.
  virtual asio::awaitable<Result<uint64_t>> relay(Response head, BodySource& body) = 0;
  // True once respond() or relay() has begun.
  virtual bool responded() const = 0;
};

// The header-first path of an http::Server, for handlers that relay large
// bodies rather than buffer them. Both set, or neither.
struct StreamingHooks {
  // Asked once a request header is read and checked, before any body byte:
  // a body limit hands the request to `handler` with its body unread; nullopt
  // serves it buffered, as if there were no hooks. A Content-Length over the
  // returned limit is answered 413 without calling the handler.
  std::function<std::optional<uint64_t>(const RequestHeader&)> select;
  // Must answer through the stream; one that does not gets a 500, and an
  // exception escaping it too.
  std::function<asio::awaitable<void>(RequestStream&, const RequestInfo&)> handler;

  explicit operator bool() const { return select && handler; }
};

}  // namespace junction::http

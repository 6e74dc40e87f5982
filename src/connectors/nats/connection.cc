#include "connectors/nats/connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/cpu_affinity.h"

namespace junction::connectors::nats {
namespace {

int64_t ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// JetStream API error codes (server/errors.json) that name a client mistake.
bool invalid_request(jsErrCode code) {
  switch (code) {
    case JSStreamNotFoundErr:
    case JSConsumerNotFoundErr:
    case JSStreamNameExistErr:
    case JSConsumerNameExistErr:
    case JSBadRequestErr:
    case JSStreamSubjectOverlapErr:
      return true;
    default:
      return false;
  }
}

}  // namespace

ErrorClass classify(natsStatus s, jsErrCode code) {
  if (invalid_request(code)) return ErrorClass::kInvalid;
  switch (s) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NO_SERVER:
    case NATS_IO_ERROR:
    case NATS_SLOW_CONSUMER:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_MAX_DELIVERED_MSGS:
      return ErrorClass::kTransient;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_MAX_PAYLOAD:
      return ErrorClass::kInvalid;
    case NATS_NOT_PERMITTED:
    case NATS_CONNECTION_AUTH_FAILED:
      return ErrorClass::kForbidden;
    default:
      // A JetStream error without a transport failure (stream full, wrong
      // expected sequence...) will fail the same way again.
      return ErrorClass::kPermanent;
  }
}

Error status_error(natsStatus s, jsErrCode code, std::string_view what) {
  // libnats keeps the last error's detail per thread: call on the failing thread.
  const char* detail = nats_GetLastError(nullptr);
  std::string text = detail && *detail ? detail : natsStatus_GetText(s);
  std::string message = code != 0 ? fmt::format("nats {}: {} (JetStream error {})", what, text,
                                                static_cast<int>(code))
                                  : fmt::format("nats {}: {}", what, text);
  return Error(classify(s, code), std::move(message));
}

Connection::Connection(ConnectionOptions options, ConnectorMetrics& metrics)
    : o_(std::move(options)), metrics_(metrics) {}

Connection::~Connection() {
  close();
}

Status Connection::open(jsOptions* js_options) {
  // libnats starts its threads here (its library threads on first use, the
  // connection's reader and flusher on connect).
  cpu::Unpinned unpinned;
  natsStatus s = natsOptions_Create(&opts_);
  // Several servers (a cluster) are a list; libnats tries them in turn.
  std::vector<std::string> urls;
  for (size_t start = 0; start <= o_.url.size();) {
    const size_t comma = std::min(o_.url.find(',', start), o_.url.size());
    if (comma > start) urls.push_back(o_.url.substr(start, comma - start));
    start = comma + 1;
  }
  std::vector<const char*> servers;
  for (const auto& u : urls) servers.push_back(u.c_str());
  if (s == NATS_OK) {
    s = natsOptions_SetServers(opts_, servers.data(), static_cast<int>(servers.size()));
  }
  if (s == NATS_OK && !o_.name.empty()) s = natsOptions_SetName(opts_, o_.name.c_str());
  if (s == NATS_OK && !o_.user.empty()) {
    s = natsOptions_SetUserInfo(opts_, o_.user.c_str(), o_.password.c_str());
  }
  if (s == NATS_OK && !o_.token.empty()) s = natsOptions_SetToken(opts_, o_.token.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts_, ms(o_.timeout));
  // Never give up: a broker restart, however long, is survived.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts_, ms(o_.reconnect_wait));
  // A dead TCP peer is noticed within about 3 pings.
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts_, 5000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts_, 3);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts_, on_disconnected, this);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts_, on_reconnected, this);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts_, on_closed, this);
  // With a connected callback, a server that is down at start does not fail
  // open(): the connection comes up with it.
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts_, true, on_connected, this);
  if (s != NATS_OK) return status_error(s, static_cast<jsErrCode>(0), "options");

  s = natsConnection_Connect(&nc_, opts_);
  if (s == NATS_OK) {
    metrics_.connected();
  } else if (s == NATS_NOT_YET_CONNECTED) {
    spdlog::warn("nats {}: not reachable yet, retrying every {}ms", o_.url, ms(o_.reconnect_wait));
  } else {
    return status_error(s, static_cast<jsErrCode>(0), fmt::format("connect {}", o_.url));
  }
  s = natsConnection_JetStream(&js_, nc_, js_options);
  if (s != NATS_OK) return status_error(s, static_cast<jsErrCode>(0), "JetStream context");
  return ok_status();
}

Status Connection::ensure_stream(const StreamOptions& stream) {
  if (!stream.create) return ok_status();
  jsErrCode code = static_cast<jsErrCode>(0);
  jsStreamInfo* info = nullptr;
  natsStatus s = js_GetStreamInfo(&info, js_, stream.name.c_str(), nullptr, &code);
  jsStreamInfo_Destroy(info);
  if (s == NATS_OK) return ok_status();
  if (s != NATS_NOT_FOUND) return status_error(s, code, "stream info " + stream.name);

  std::vector<const char*> subjects;
  for (const auto& subject : stream.subjects) subjects.push_back(subject.c_str());
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream.name.c_str();
  config.Subjects = subjects.data();
  config.SubjectsLen = static_cast<int>(subjects.size());
  config.Storage = js_FileStorage;
  code = static_cast<jsErrCode>(0);
  s = js_AddStream(&info, js_, &config, nullptr, &code);
  jsStreamInfo_Destroy(info);
  // Another component may have created it meanwhile.
  if (s != NATS_OK && code != JSStreamNameExistErr) {
    return status_error(s, code, "create stream " + stream.name);
  }
  spdlog::info("nats: created stream {}", stream.name);
  return ok_status();
}

bool Connection::connected() const {
  return nc_ != nullptr && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

void Connection::close() {
  jsCtx_Destroy(js_);
  js_ = nullptr;
  if (nc_ != nullptr) {
    {
      std::lock_guard lock(mu_);
      closing_ = true;  // the disconnect that closing causes is no outage
    }
    natsConnection_Close(nc_);
    // The closed callback is the library's last word on this connection.
    std::unique_lock lock(mu_);
    const bool done =
        closed_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return closed_; });
    lock.unlock();
    if (!done) spdlog::warn("nats {}: no close confirmation within 5s", o_.url);
    natsConnection_Destroy(nc_);
    nc_ = nullptr;
  }
  natsOptions_Destroy(opts_);
  opts_ = nullptr;
}

void Connection::on_connected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  spdlog::info("nats {}: connected", c->o_.url);
  c->metrics_.connected();
}

void Connection::on_disconnected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  {
    std::lock_guard lock(c->mu_);
    if (c->closing_) return;
  }
  spdlog::warn("nats {}: disconnected; reconnecting", c->o_.url);
  c->metrics_.disconnected("disconnected from " + c->o_.url);
}

void Connection::on_reconnected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  spdlog::info("nats {}: reconnected", c->o_.url);
  c->metrics_.connected();
}

void Connection::on_closed(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  std::lock_guard lock(c->mu_);
  c->closed_ = true;
  c->closed_cv_.notify_all();
}

}  // namespace junction::connectors::nats

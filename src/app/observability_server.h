#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "app/remote_members.h"
#include "http/server.h"
#include "log/store.h"
#include "observe/health.h"
#include "observe/metrics.h"

namespace junction::app {

namespace asio = boost::asio;

// /metrics (Prometheus text), /health/live and /health/ready on their own
// listener, so that scrapes and probes never queue behind business traffic;
// with a store, the topics API too (app/topics_api.h), whose remote group
// members live in `members`.
std::unique_ptr<http::Server> make_observability_server(asio::io_context& ctx,
                                                        const std::string& listen,
                                                        observe::Registry& metrics,
                                                        observe::Health& health, log::Store* store,
                                                        RemoteMembers* members, std::string& error);

}  // namespace junction::app

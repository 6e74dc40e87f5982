#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/units.h"
#include "spec/schema.h"

namespace junction::connectors::redis {

// Where a Redis server is and how to log in. Never logged whole: the
// password stays out of display().
struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // ACL user (Redis 6+); empty = the default user
  std::string password;
  int db = 0;
  Duration connect_timeout = std::chrono::seconds(5);
  Duration io_timeout = std::chrono::seconds(10);  // one command's reply at most

  std::string display() const;  // host:port/db
};

// redis://[[user]:password@]host[:port][/db]. Fields the URL leaves out keep
// the values `base` has.
Result<Endpoint> parse_url(std::string_view url, Endpoint base = {});

// The connection fields every Redis component has.
std::vector<spec::Field> endpoint_fields();
// Reads them: `url` if set, else host/port; password and db override the URL's.
Result<Endpoint> endpoint_from_config(const spec::Config& c);

}  // namespace junction::connectors::redis

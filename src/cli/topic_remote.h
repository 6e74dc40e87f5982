#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::cli {

// Blocking JSON calls to a running instance's topics API (app/topics_api.h),
// for `junction topic --server URL`. A problem+json answer comes back as an
// Error whose class follows the status and whose message is its detail.
class RemoteTopics {
 public:
  static Result<std::unique_ptr<RemoteTopics>> connect(std::string_view base_url);
  ~RemoteTopics();

  Result<boost::json::value> call(std::string_view method, const std::string& target,
                                  const std::string& body = "");
  // The HTTP status of the last call's answer (0 when none came), to tell a
  // 404 from a 409 where both are refusals.
  int last_status() const { return last_status_; }

 private:
  struct State;
  explicit RemoteTopics(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  int last_status_ = 0;
};

}  // namespace junction::cli

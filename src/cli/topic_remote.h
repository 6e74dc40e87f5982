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

 private:
  struct State;
  explicit RemoteTopics(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace junction::cli

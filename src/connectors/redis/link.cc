#include "connectors/redis/link.h"

#include "components/common/blocking_call.h"

namespace junction::connectors::redis {

boost::asio::awaitable<PipelineResult> Link::run(const std::vector<Command>* commands,
                                                 Duration extra_wait) {
  // Pointers and a duration only: see blocking_call.h for why.
  auto call = [connection = &connection_, commands, extra_wait] {
    return connection->run(*commands, extra_wait);
  };
  co_return co_await components::blocking_call(thread_, call);
}

}  // namespace junction::connectors::redis

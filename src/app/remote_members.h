#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "log/consumer.h"
#include "log/store.h"

namespace junction::app {

namespace asio = boost::asio;

// Consumer-group members in other processes, which reach their group through
// the topics HTTP API. Each is a log::Consumer here, so it shares the group's
// partitions with the flows' `topic` inputs through the one GroupCoordinator.
// The remote client drives it: a poll fetches from the member's partitions
// and counts as a heartbeat; a commit acks what it delivered below the
// committed offset. Records delivered and not committed go, after a
// rebalance, to the partition's next owner from the committed offset.
//
// A member silent past its session timeout is removed (a sweep every
// second), and its partitions are reassigned. A member waiting in a long poll
// is being heard from.
class RemoteMembers {
 public:
  static constexpr std::chrono::milliseconds kDefaultSessionTimeout{30'000};
  static constexpr std::chrono::milliseconds kMinSessionTimeout{1'000};
  static constexpr std::chrono::milliseconds kMaxSessionTimeout{600'000};
  static constexpr size_t kMaxMembers = 1024;   // over all groups and topics
  static constexpr size_t kMaxInFlight = 1000;  // delivered, not committed, per member

  // The sweep runs on `ex` (the API's executor); so do poll() and its waits.
  RemoteMembers(log::Store& store, asio::any_io_executor ex);
  ~RemoteMembers();
  RemoteMembers(const RemoteMembers&) = delete;
  RemoteMembers& operator=(const RemoteMembers&) = delete;

  // Why a member's poll was refused (the API answers 404 or 409).
  enum class Refusal { kNone, kUnknownMember, kPollWaiting };

  struct Joined {
    std::string member;
    log::Assignment assignment;
    std::chrono::milliseconds session_timeout;
  };
  Result<Joined> join(const std::string& topic, const std::string& group,
                      std::chrono::milliseconds session_timeout, log::StartPosition start);
  // Commits what the member committed and leaves; false if it is unknown.
  bool leave(const std::string& topic, const std::string& group, const std::string& member);

  struct Polled {
    Refusal refused = Refusal::kNone;
    std::vector<log::Delivery> deliveries;
    log::Assignment assignment;  // after this poll
  };
  // Up to `max` records from the member's partitions, waiting up to `wait`
  // for some to arrive (or for a rebalance).
  asio::awaitable<Result<Polled>> poll(const std::string& topic, const std::string& group,
                                       const std::string& member, size_t max,
                                       std::chrono::milliseconds wait);

  // `offsets` maps a partition to the next record the member will process in
  // it; `generation`, when the member names it, is the one its records were
  // handed out in (Consumer::commit_through: all partitions or none). `done`
  // runs once the commit is durable; not at all when refused.
  using CommitVerdict = log::GroupCoordinator::CommitVerdict;
  CommitVerdict commit(const std::string& topic, const std::string& group,
                       const std::string& member, const std::map<int32_t, int64_t>& offsets,
                       std::optional<uint64_t> generation, std::function<void(Status)> done);

  // Stops the sweep and every member (committing what they committed), and
  // ends waiting polls. Call on the executor, before the store closes: the
  // executor's threads run until the sweep is stopped.
  void close();

 private:
  struct Member;
  std::shared_ptr<Member> find(const std::string& topic, const std::string& group,
                               const std::string& member);
  void remove(const std::shared_ptr<Member>& m);
  void arm_sweep();
  void sweep();

  log::Store& store_;
  asio::any_io_executor ex_;
  asio::steady_timer sweep_timer_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Member>> members_;  // by member id
  bool closed_ = false;
};

}  // namespace junction::app

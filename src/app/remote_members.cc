#include "app/remote_members.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/message.h"
#include "fmt/format.h"

namespace junction::app {
namespace {

using Clock = std::chrono::steady_clock;

// What a remote member was given and did not commit is read again by the
// partition's next owner after a rebalance, as with Kafka. Redelivering it
// to the same member on a timer would hand a slow client its own work
// twice, so the consumer's ack timeout never fires for it.
constexpr std::chrono::milliseconds kNeverRedeliver = std::chrono::hours(24 * 365);

// Ends a member's long poll early: records arrived, a rebalance, or the
// member left. Rung by the consumer's callbacks from any thread.
struct Wakeup {
  std::mutex mu;
  bool woken = false;
  std::weak_ptr<asio::steady_timer> waiter;

  void ring() {
    std::shared_ptr<asio::steady_timer> timer;
    {
      std::lock_guard lock(mu);
      woken = true;
      timer = waiter.lock();
    }
    // Posted, so the cancel runs on the waiting coroutine's executor: after
    // it suspended in async_wait, never in between.
    if (timer) asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }
};

}  // namespace

struct RemoteMembers::Member {
  std::string id;
  std::string topic;
  std::string group;
  uint64_t coordinator_id = 0;
  std::chrono::milliseconds session_timeout{0};
  std::shared_ptr<Wakeup> wakeup = std::make_shared<Wakeup>();

  std::mutex mu;  // guards what follows: a consumer is used by one thread at a time
  std::unique_ptr<log::Consumer> consumer;
  bool polling = false;
  bool closed = false;
};

RemoteMembers::RemoteMembers(log::Store& store, asio::any_io_executor ex)
    : store_(store), ex_(ex), sweep_timer_(ex) {
  arm_sweep();
}

RemoteMembers::~RemoteMembers() {
  close();
}

Result<RemoteMembers::Joined> RemoteMembers::join(const std::string& topic,
                                                  const std::string& group,
                                                  std::chrono::milliseconds session_timeout,
                                                  log::StartPosition start) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return Error::transient("shutting down");
    if (members_.size() >= kMaxMembers) {
      return Error::overloaded(
          fmt::format("{} remote group members already (the most); leave some first", kMaxMembers));
    }
  }
  auto m = std::make_shared<Member>();
  m->topic = topic;
  m->group = group;
  m->session_timeout = session_timeout;
  log::ConsumerOptions o;
  o.group = group;
  o.topic = topic;
  o.start = start;
  o.max_in_flight = kMaxInFlight;
  o.ack_timeout = kNeverRedeliver;
  o.session_timeout = session_timeout;
  m->consumer = std::make_unique<log::Consumer>(store_, o, [w = m->wakeup] { w->ring(); });
  if (auto st = m->consumer->start(); !st) return st.error();
  m->coordinator_id = m->consumer->member();
  // Unguessable, and never the id of a member of an earlier run.
  m->id = fmt::format("{}-{}", m->coordinator_id, new_message_id());
  auto assignment = store_.groups().heartbeat(group, topic, m->coordinator_id);
  {
    std::lock_guard lock(mu_);
    members_[m->id] = m;
  }
  spdlog::info("group {} topic {}: remote member {} joined (session timeout {}ms)", group, topic,
               m->id, session_timeout.count());
  return Joined{m->id, assignment.value_or(log::Assignment{}), session_timeout};
}

bool RemoteMembers::leave(const std::string& topic, const std::string& group,
                          const std::string& member) {
  auto m = find(topic, group, member);
  if (!m) return false;
  remove(m);
  spdlog::info("group {} topic {}: remote member {} left", group, topic, member);
  return true;
}

asio::awaitable<Result<RemoteMembers::Polled>> RemoteMembers::poll(const std::string& topic,
                                                                   const std::string& group,
                                                                   const std::string& member,
                                                                   size_t max,
                                                                   std::chrono::milliseconds wait) {
  Polled out;
  auto m = find(topic, group, member);
  if (!m) {
    out.refused = Refusal::kUnknownMember;
    co_return out;
  }
  {
    std::lock_guard lock(m->mu);
    if (m->polling) {
      out.refused = Refusal::kPollWaiting;
      co_return out;
    }
    m->polling = true;
  }
  // Cleared however the poll ends; the sweep counts a waiting poll as a heartbeat.
  struct PollingFlag {
    Member& m;
    ~PollingFlag() {
      std::lock_guard lock(m.mu);
      m.polling = false;
    }
  } flag{*m};

  auto ex = co_await asio::this_coro::executor;
  const auto deadline = Clock::now() + wait;
  while (true) {
    auto assignment = store_.groups().heartbeat(group, topic, m->coordinator_id);
    if (!assignment) {
      out.refused = Refusal::kUnknownMember;
      co_return out;
    }
    auto timer = std::make_shared<asio::steady_timer>(ex, deadline);
    {
      std::lock_guard lock(m->mu);
      if (m->closed) {
        out.refused = Refusal::kUnknownMember;
        co_return out;
      }
      {
        std::lock_guard wake_lock(m->wakeup->mu);
        m->wakeup->woken = false;
      }
      auto got = m->consumer->poll(max);
      if (!got) co_return got.error();
      if (!got->empty() || Clock::now() >= deadline) {
        out.deliveries = std::move(*got);
        out.assignment = {m->consumer->generation(), m->consumer->assigned()};
        co_return out;
      }
      // The waiter is in place before arm(), so a wake it causes at once
      // (data already there) still ends the wait.
      {
        std::lock_guard wake_lock(m->wakeup->mu);
        m->wakeup->waiter = timer;
      }
      m->consumer->arm();
    }
    bool woken = false;
    {
      std::lock_guard wake_lock(m->wakeup->mu);
      woken = m->wakeup->woken;
    }
    if (!woken) {
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    std::lock_guard wake_lock(m->wakeup->mu);
    m->wakeup->waiter.reset();
  }
}

RemoteMembers::CommitVerdict RemoteMembers::commit(const std::string& topic,
                                                   const std::string& group,
                                                   const std::string& member,
                                                   const std::map<int32_t, int64_t>& offsets,
                                                   std::optional<uint64_t> generation,
                                                   std::function<void(Status)> done) {
  const CommitVerdict unknown{log::GroupCoordinator::CommitCheck::kUnknownMember};
  auto m = find(topic, group, member);
  if (!m) return unknown;
  std::lock_guard lock(m->mu);
  if (m->closed || !store_.groups().heartbeat(group, topic, m->coordinator_id)) return unknown;
  return m->consumer->commit_through(offsets, generation, std::move(done));
}

std::shared_ptr<RemoteMembers::Member> RemoteMembers::find(const std::string& topic,
                                                           const std::string& group,
                                                           const std::string& member) {
  std::lock_guard lock(mu_);
  auto it = members_.find(member);
  if (it == members_.end() || it->second->topic != topic || it->second->group != group) {
    return nullptr;
  }
  return it->second;
}

void RemoteMembers::remove(const std::shared_ptr<Member>& m) {
  {
    std::lock_guard lock(mu_);
    auto it = members_.find(m->id);
    if (it != members_.end() && it->second == m) members_.erase(it);
  }
  {
    std::lock_guard lock(m->mu);
    if (!m->closed) {
      m->consumer->stop();  // commits what the member committed, then leaves
      m->closed = true;
    }
  }
  m->wakeup->ring();
}

void RemoteMembers::arm_sweep() {
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    {
      // A wait that completed just before close() cancelled it still runs:
      // it must not arm again, or the executor never runs out of work.
      std::lock_guard lock(mu_);
      if (ec || closed_) return;
    }
    sweep();
    arm_sweep();
  });
}

void RemoteMembers::sweep() {
  std::vector<std::shared_ptr<Member>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, m] : members_) all.push_back(m);
  }
  const auto now = Clock::now();
  for (const auto& m : all) {
    bool polling = false;
    {
      std::lock_guard lock(m->mu);
      polling = m->polling;
    }
    if (polling) store_.groups().heartbeat(m->group, m->topic, m->coordinator_id, now);
  }
  for (const auto& [group, topic, id] : store_.groups().expire(now)) {
    for (const auto& m : all) {
      if (m->coordinator_id != id || m->group != group || m->topic != topic) continue;
      spdlog::warn(
          "group {} topic {}: remote member {} was silent past its session timeout ({}ms); "
          "its partitions are reassigned",
          group, topic, m->id, m->session_timeout.count());
      remove(m);
    }
  }
}

void RemoteMembers::close() {
  std::vector<std::shared_ptr<Member>> all;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    for (const auto& [id, m] : members_) all.push_back(m);
    members_.clear();
  }
  sweep_timer_.cancel();
  for (const auto& m : all) {
    {
      std::lock_guard lock(m->mu);
      if (!m->closed) {
        m->consumer->stop();
        m->closed = true;
      }
    }
    m->wakeup->ring();  // a waiting poll answers now, not at the end of its wait
  }
}

}  // namespace junction::app

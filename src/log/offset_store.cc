#include "log/offset_store.h"

#include <boost/json.hpp>

#include "core/message.h"
#include "fmt/format.h"

namespace junction::log {
namespace json = boost::json;

namespace {

std::string encode_key(const std::string& group, const std::string& topic, int32_t partition) {
  json::object o;
  o["group"] = group;
  o["topic"] = topic;
  o["partition"] = partition;
  return json::serialize(o);
}

}  // namespace

void OffsetStore::apply(const Record& r) {
  if (!r.key) return;
  boost::system::error_code ec;
  auto k = json::parse(*r.key, ec);
  if (ec || !k.is_object()) return;
  const auto& ko = k.as_object();
  try {
    Key key{std::string(ko.at("group").as_string()), std::string(ko.at("topic").as_string()),
            ko.at("partition").to_number<int32_t>()};
    if (!r.value) {
      offsets_.erase(key);
      return;
    }
    auto v = json::parse(*r.value, ec);
    if (ec || !v.is_object()) return;
    offsets_[key] = v.as_object().at("offset").to_number<int64_t>();
  } catch (const std::exception&) {
    // A record we did not write: skip it rather than refuse to start.
  }
}

Status OffsetStore::load() {
  std::lock_guard lock(mu_);
  return topic_.partition(0).scan(0, [this](const BatchHeader&, std::vector<Record>&& records) {
    for (const auto& r : records) apply(r);
  });
}

std::optional<int64_t> OffsetStore::committed(const std::string& group, const std::string& topic,
                                              int32_t partition) const {
  std::lock_guard lock(mu_);
  auto it = offsets_.find(Key{group, topic, partition});
  if (it == offsets_.end()) return std::nullopt;
  return it->second;
}

void OffsetStore::commit(const std::string& group, const std::string& topic, int32_t partition,
                         int64_t offset, std::function<void(Status)> done) {
  Record r;
  r.timestamp_ms = now_ms();
  r.key = encode_key(group, topic, partition);
  json::object v;
  v["offset"] = offset;
  r.value = json::serialize(v);
  auto batch = encode_batch(0, std::span(&r, 1), Compression::kNone);
  if (!batch) {
    done(batch.error());
    return;
  }
  journal_.submit(topic_.partition(0), std::move(*batch),
                  [this, key = Key{group, topic, partition}, offset,
                   done = std::move(done)](Result<AppendResult> result) {
                    if (!result) {
                      done(result.error());
                      return;
                    }
                    {
                      std::lock_guard lock(mu_);
                      offsets_[key] = offset;
                    }
                    done(ok_status());
                  });
}

std::map<std::pair<std::string, int32_t>, int64_t> OffsetStore::group_offsets(
    const std::string& group) const {
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  std::lock_guard lock(mu_);
  for (const auto& [k, v] : offsets_) {
    if (std::get<0>(k) == group) out[{std::get<1>(k), std::get<2>(k)}] = v;
  }
  return out;
}

}  // namespace junction::log

#include "connectors/redis/stream_entry.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

namespace junction::connectors::redis {
namespace {

Error malformed(std::string_view what) {
  return Error::permanent("redis: unexpected reply shape for " + std::string(what));
}

Result<StreamEntry> parse_entry(const Reply& row) {
  if (!row.is_array() || row.elements.size() != 2 || row.elements[0].type != Reply::Type::kString) {
    return malformed("a stream entry");
  }
  StreamEntry e;
  e.id = row.elements[0].str;
  const Reply& kv = row.elements[1];
  if (kv.is_nil()) return e;  // an entry without fields (deleted under XCLAIM)
  if (!kv.is_array() || kv.elements.size() % 2 != 0) return malformed("stream entry fields");
  e.fields.reserve(kv.elements.size() / 2);
  for (size_t i = 0; i < kv.elements.size(); i += 2) {
    e.fields.emplace_back(kv.elements[i].str, kv.elements[i + 1].str);
  }
  return e;
}

}  // namespace

Result<std::vector<StreamEntry>> parse_entries(const Reply& reply) {
  std::vector<StreamEntry> out;
  if (reply.is_nil()) return out;
  if (!reply.is_array()) return malformed("a list of stream entries");
  out.reserve(reply.elements.size());
  for (const auto& row : reply.elements) {
    if (row.is_nil()) continue;
    auto e = parse_entry(row);
    if (!e) return e.error();
    out.push_back(std::move(*e));
  }
  return out;
}

Result<std::vector<StreamEntry>> parse_read(const Reply& reply) {
  if (reply.is_nil()) return std::vector<StreamEntry>{};
  if (!reply.is_array() || reply.elements.empty()) return malformed("XREADGROUP");
  const Reply& first = reply.elements[0];
  if (!first.is_array() || first.elements.size() != 2) return malformed("XREADGROUP");
  return parse_entries(first.elements[1]);
}

Result<std::vector<PendingEntry>> parse_pending(const Reply& reply) {
  std::vector<PendingEntry> out;
  if (reply.is_nil()) return out;
  if (!reply.is_array()) return malformed("XPENDING");
  out.reserve(reply.elements.size());
  for (const auto& row : reply.elements) {
    if (!row.is_array() || row.elements.size() != 4) return malformed("XPENDING");
    out.push_back({row.elements[0].str, row.elements[1].str, row.elements[2].integer,
                   row.elements[3].integer});
  }
  return out;
}

int64_t entry_time_ms(std::string_view id) {
  int64_t ms = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), ms);
  if (ec != std::errc() || (end != id.data() + id.size() && *end != '-')) return 0;
  return ms;
}

Result<Message> to_message(const StreamEntry& entry, std::string_view stream, int64_t deliveries,
                           const EntryFormat& format) {
  Message m;
  // Stable across redeliveries, so that outputs' idempotency keys and
  // dead letters let a redelivered entry be recognised downstream.
  m.id = std::string(stream) + "/" + entry.id;
  m.timestamp_ms = entry_time_ms(entry.id);
  const std::pair<std::string, std::string>* payload = nullptr;
  for (const auto& f : entry.fields) {
    if (f.first == format.payload_field) {
      payload = &f;
      break;
    }
  }
  if (payload) {
    auto decoded = format.codec.decode(payload->second);
    if (!decoded) return decoded.error().wrap("field " + format.payload_field);
    m.payload = std::move(*decoded);
    for (const auto& f : entry.fields) {
      if (&f != payload) m.headers.add(f.first, f.second);
    }
  } else {
    boost::json::object obj;
    for (const auto& [k, v] : entry.fields) obj[k] = v;
    m.payload = Buffer(boost::json::serialize(obj));
  }
  m.headers.set(kIdHeader, entry.id);
  m.headers.set(kStreamHeader, stream);
  m.headers.set(kDeliveriesHeader, std::to_string(deliveries));
  return m;
}

Command dead_letter_command(std::string_view dead_letter_stream, std::string_view stream,
                            const StreamEntry& entry, std::string_view reason, int64_t deliveries) {
  Command cmd{"XADD", std::string(dead_letter_stream), "*"};
  cmd.reserve(3 + 2 * entry.fields.size() + 8);
  for (const auto& [k, v] : entry.fields) {
    cmd.push_back(k);
    cmd.push_back(v);
  }
  cmd.insert(cmd.end(), {"reason", std::string(reason), "source_stream", std::string(stream),
                         "source_id", entry.id, "deliveries", std::to_string(deliveries)});
  return cmd;
}

}  // namespace junction::connectors::redis

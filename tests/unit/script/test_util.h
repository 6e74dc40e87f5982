#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/message.h"
#include "script/engine.h"

namespace junction::script::testing {

inline Message make_message(std::string_view payload) {
  Message m;
  m.payload = Buffer::copy_of(payload);
  return m;
}

inline std::unique_ptr<Engine> make_engine(Limits limits = {}) {
  auto engine = Engine::create(limits);
  EXPECT_TRUE(engine.ok()) << engine.error().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

// Compiles `source` as a map and runs it over a message with `payload`;
// returns the resulting payload, or "<dropped>" / "<error: ...>".
inline std::string map_once(Engine& engine, std::string_view source, std::string_view payload) {
  auto chunk = engine.compile_map(source, "test.map");
  if (!chunk) return "<compile error: " + chunk.error().message() + ">";
  Message m = make_message(payload);
  auto r = engine.run_map(*chunk, m);
  if (!r) return "<error: " + r.error().message() + ">";
  if (!*r) return "<dropped>";
  return m.payload.str();
}

// JSON equality regardless of object key order.
inline ::testing::AssertionResult json_eq(std::string_view actual, std::string_view expected) {
  boost::system::error_code ec;
  auto a = boost::json::parse(actual, ec);
  if (ec) return ::testing::AssertionFailure() << "not JSON: " << actual;
  auto e = boost::json::parse(expected);
  if (a == e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << actual << " != " << expected;
}

}  // namespace junction::script::testing

#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace junction::components {

// A text with {{placeholders}}, split once into literal and variable parts so
// that rendering a message is a few appends.
//   {{counter}}       1, 2, 3, ... per template
//   {{timestamp_ms}}  milliseconds since the epoch
//   {{id}}            a new unique message id
//   {{random}}        a uniform integer in [0, 1000000)
class Template {
 public:
  static Result<Template> parse(std::string_view text);

  // Renders into `out` (cleared first); advances the counter.
  void render(std::string& out);
  bool is_constant() const {
    return parts_.size() <= 1 && (parts_.empty() || parts_[0].var == Var::kNone);
  }

 private:
  enum class Var { kNone, kCounter, kTimestamp, kId, kRandom };
  struct Part {
    Var var = Var::kNone;
    std::string literal;
  };
  std::vector<Part> parts_;
  uint64_t counter_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace junction::components

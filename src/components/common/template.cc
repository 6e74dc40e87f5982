#include "components/common/template.h"

#include "core/message.h"

namespace junction::components {

Result<Template> Template::parse(std::string_view text) {
  Template t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({Var::kNone, std::string(text.substr(pos))});
      break;
    }
    if (open > pos) t.parts_.push_back({Var::kNone, std::string(text.substr(pos, open - pos))});
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Error::invalid("unterminated '{{' at offset " + std::to_string(open));
    }
    std::string_view name = text.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    Var var;
    if (name == "counter") {
      var = Var::kCounter;
    } else if (name == "timestamp_ms") {
      var = Var::kTimestamp;
    } else if (name == "id") {
      var = Var::kId;
    } else if (name == "random") {
      var = Var::kRandom;
    } else {
      return Error::invalid("unknown placeholder '{{" + std::string(name) +
                            "}}'; expected one of: counter, timestamp_ms, id, random");
    }
    t.parts_.push_back({var, {}});
    pos = close + 2;
  }
  return t;
}

void Template::render(std::string& out) {
  out.clear();
  ++counter_;
  for (const auto& p : parts_) {
    switch (p.var) {
      case Var::kNone:
        out += p.literal;
        break;
      case Var::kCounter:
        out += std::to_string(counter_);
        break;
      case Var::kTimestamp:
        out += std::to_string(now_ms());
        break;
      case Var::kId:
        out += new_message_id();
        break;
      case Var::kRandom:
        out += std::to_string(rng_() % 1000000);
        break;
    }
  }
}

}  // namespace junction::components

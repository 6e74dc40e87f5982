#pragma once

// A small component catalog for the spec tests: enough schemas to exercise
// both component spellings and every field type, without the real registry.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "spec/catalog.h"

namespace junction::spec::testing {

class TestCatalog : public ComponentCatalog {
 public:
  TestCatalog() {
    add(ComponentKind::kInput, "file",
        {{{"path", FieldType::kString, "", "file to read", true},
          {"format", FieldType::kString, "lines", "how to split", false, {"lines", "json"}},
          {"poll", FieldType::kDuration, "1s", "how often to look for new data"}},
         "path"});
    add(ComponentKind::kInput, "generate",
        {{{"interval", FieldType::kDuration, "1s", "time between messages"},
          {"count", FieldType::kInt, "", "how many; none = forever"}}});
    add(ComponentKind::kProcessor, "map",
        {{{"script", FieldType::kString, "", "Lua", true}}, "script"});
    add(ComponentKind::kProcessor, "filter",
        {{{"expression", FieldType::kString, "", "keep when true", true}}, "expression"});
    add(ComponentKind::kOutput, "stdout", {{{"pretty", FieldType::kBool, "false", "indent"}}});
    add(ComponentKind::kOutput, "file",
        {{{"path", FieldType::kString, "", "file to write", true},
          {"format", FieldType::kString, "lines", "how to join", false, {"lines", "json"}}},
         "path"});
    add(ComponentKind::kOutput, "http",
        {{{"url", FieldType::kString, "", "where to send", true},
          {"token", FieldType::kString, "", "bearer token", false, {}, true},
          {"timeout", FieldType::kDuration, "5s", "per request"},
          {"rate_limit", FieldType::kRate, "", "requests per period"},
          {"max_body", FieldType::kSize, "1MiB", "largest body"},
          {"headers", FieldType::kObject, "", "extra headers"}},
         "url"});
  }

  const Schema* schema(ComponentKind kind, const std::string& name) const override {
    auto it = schemas_.find({kind, name});
    return it == schemas_.end() ? nullptr : &it->second;
  }

  std::vector<std::string> names(ComponentKind kind) const override {
    std::vector<std::string> out;
    for (const auto& [key, schema] : schemas_) {
      if (key.first == kind) out.push_back(key.second);
    }
    return out;
  }

 private:
  void add(ComponentKind kind, std::string name, Schema schema) {
    schemas_.emplace(std::make_pair(kind, std::move(name)), std::move(schema));
  }

  std::map<std::pair<ComponentKind, std::string>, Schema> schemas_;
};

}  // namespace junction::spec::testing

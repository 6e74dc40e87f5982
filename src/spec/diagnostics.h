#pragma once

#include <string>
#include <vector>

namespace junction::spec {

// Where something was written: 1-based line and column in a spec file.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  std::string to_string() const;  // "spec.yaml:12:5", or just the file when line is 0
};

struct Diagnostic {
  Location where;
  std::string message;  // what is wrong and what was expected
  std::string hint;     // a suggested fix ("did you mean 'retries'?"), may be empty

  // "spec.yaml:12:5: error: unknown field 'retires' in retry; did you mean 'retries'?"
  std::string to_string() const;
};

// Collects every error of a spec so `junction validate` can list them all at
// once. Messages never contain interpolated values: secrets stay out of logs.
class Diagnostics {
 public:
  void error(Location where, std::string message, std::string hint = {});
  bool ok() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  // One diagnostic per line.
  std::string format() const;

 private:
  std::vector<Diagnostic> items_;
};

// The candidate closest to `word` by edit distance when it is close enough to
// be a likely typo, else empty.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);
// "did you mean 'x'?" or "expected one of: a, b, c".
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace junction::spec

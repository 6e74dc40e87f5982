#include "spec/diagnostics.h"

#include <algorithm>
#include <utility>

namespace junction::spec {

std::string Location::to_string() const {
  std::string out = file.empty() ? "<spec>" : file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  return out;
}

std::string Diagnostic::to_string() const {
  std::string out = where.to_string() + ": error: " + message;
  if (!hint.empty()) out += "; " + hint;
  return out;
}

void Diagnostics::error(Location where, std::string message, std::string hint) {
  // Two passes over a spec (parsing, then building components) may find the
  // same fault; it is told once.
  for (const auto& d : items_) {
    if (d.where.file == where.file && d.where.line == where.line &&
        d.where.column == where.column && d.message == message) {
      return;
    }
  }
  items_.push_back(Diagnostic{std::move(where), std::move(message), std::move(hint)});
}

std::string Diagnostics::format() const {
  std::string out;
  for (const auto& d : items_) out += d.to_string() + "\n";
  return out;
}

namespace {

// Levenshtein distance where swapping two adjacent letters counts as one edit
// (optimal string alignment): "fiel" is one slip away from "file", not two.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  // A third of the word's length tolerates one slip per three letters; short
  // words still get one, so "fiel" finds "file" but "x" does not find "path".
  const size_t limit = std::max<size_t>(1, word.size() / 3);
  std::string best;
  size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
  if (candidates.empty()) return {};
  std::string best = nearest(word, candidates);
  if (!best.empty()) return "did you mean '" + best + "'?";
  std::string out = "expected one of: ";
  for (size_t i = 0; i < candidates.size(); ++i) out += (i ? ", " : "") + candidates[i];
  return out;
}

}  // namespace junction::spec

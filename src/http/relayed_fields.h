#pragma once

// Relaying an answer's header fields as lines.
//
// A proxy passes most of an upstream's fields on untouched. Stored in
// Beast's fields, each one cost a name lookup, an allocation and a tree
// insertion, then a walk to write it out again: about 600 instructions a
// field, a tenth of a proxied GET (callgrind, bench/gateway). Relayed, a
// field is checked and appended to the lines the server writes after the
// response's own fields.

#include <string>
#include <string_view>
#include <vector>

namespace junction::http {

// Names of fields, compared without case: whole names and name prefixes,
// of letters, digits and '-' only (as every registered field name is).
class FieldNames {
 public:
  FieldNames& add(std::string_view name);
  FieldNames& add_prefix(std::string_view prefix);
  // `name` must be a token (as split_field() leaves it).
  bool contains(std::string_view name) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::string> prefixes_;
};

// Where a relaying response parser writes the end-to-end fields of the
// answer, as header lines ("Name: value\r\n"), instead of storing them in
// the message. Hop-by-hop fields are dropped as ever. Content-Length is
// dropped too, as the server writes the length of the body it sends, but
// for an answer without the body it describes (to HEAD, a 204 or 304),
// which keeps it in the message. When the
// Connection field names other fields, the answer's fields are stored after
// all, so that the proxy can remove those.
struct RelayedFields {
  std::string* lines = nullptr;
  // The size of `lines` before the exchange: the parser cuts them back to it
  // on each answer it starts (a retry, an interim 1xx answer), and so must
  // the proxy when it gives the answer up.
  size_t from = 0;
  // Fields the proxy writes itself, dropped from the relayed ones.
  const FieldNames* dropped = nullptr;
};

}  // namespace junction::http

#pragma once

#include <cstdio>
#include <string_view>

namespace junction::observe::detail {

// Appends `s` as the body of a JSON string (no surrounding quotes). Invalid
// UTF-8 becomes U+FFFD: log messages carry peer data, and one bad byte must
// not make the whole line unparseable. `Out` is std::string or
// fmt::memory_buffer (anything with push_back and append(first, last)).
template <class Out>
void append_json_escaped(Out& out, std::string_view s) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  const char* p = s.data();
  const char* end = p + s.size();
  const char* run = p;  // start of bytes not yet copied
  auto flush = [&](const char* upto) {
    if (upto != run) out.append(run, upto);
  };
  while (p < end) {
    auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++p;
      continue;
    }
    if (c < 0x80) {
      flush(p);
      out.push_back('\\');
      switch (c) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '\n':
          out.push_back('n');
          break;
        case '\r':
          out.push_back('r');
          break;
        case '\t':
          out.push_back('t');
          break;
        case '\b':
          out.push_back('b');
          break;
        case '\f':
          out.push_back('f');
          break;
        default: {
          char hex[6];
          std::snprintf(hex, sizeof hex, "u%04x", c);
          out.append(hex, hex + 5);
        }
      }
      run = ++p;
      continue;
    }
    size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((c >> 5) == 0x6) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c >> 4) == 0xe) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c >> 3) == 0x1e) {
      len = 4, cp = c & 0x07, min = 0x10000;
    }
    bool valid = len != 0 && static_cast<size_t>(end - p) >= len;
    for (size_t k = 1; valid && k < len; ++k) {
      auto cc = static_cast<unsigned char>(p[k]);
      valid = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    valid = valid && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    if (valid) {
      p += len;
      continue;
    }
    flush(p);
    out.append(kReplacement, kReplacement + 3);
    run = ++p;
  }
  flush(p);
}

}  // namespace junction::observe::detail

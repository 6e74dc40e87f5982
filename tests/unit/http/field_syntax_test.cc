#include "http/field_syntax.h"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>
#include <string>

namespace junction::http::syntax {
namespace {

namespace bhttp = boost::beast::http;

TEST(FieldSyntaxTest, AllTextFindsABadByteAtAnyPositionOfAnyLength) {
  // Lengths and positions across the 16- and 8-byte blocks and the tail.
  for (size_t length = 1; length <= 48; ++length) {
    const std::string good(length, 'a');
    ASSERT_TRUE(all_text(good)) << length;
    for (size_t at = 0; at < length; ++at) {
      for (const char bad : {'\0', '\x01', '\n', '\r', '\x1f', '\x7f'}) {
        std::string s = good;
        s[at] = bad;
        EXPECT_FALSE(all_text(s)) << "length " << length << ", byte " << int(bad) << " at " << at;
      }
      for (const char fine : {'\t', ' ', '~', '\x80', '\xa0', '\xff'}) {
        std::string s = good;
        s[at] = fine;
        EXPECT_TRUE(all_text(s)) << "length " << length << ", byte " << int(fine) << " at " << at;
      }
    }
  }
  EXPECT_TRUE(all_text(""));
}

TEST(FieldSyntaxTest, SplitFieldTrimsTheValueAndRefusesWhatIsNoField) {
  std::string_view name;
  std::string_view value;
  ASSERT_FALSE(split_field("Content-Type: \t text/plain \t", name, value));
  EXPECT_EQ(name, "Content-Type");
  EXPECT_EQ(value, "text/plain");
  ASSERT_FALSE(split_field("X-Empty:", name, value));
  EXPECT_EQ(value, "");
  EXPECT_EQ(split_field(": no name", name, value), bhttp::error::bad_field);
  EXPECT_EQ(split_field("Name : space before the colon", name, value), bhttp::error::bad_field);
  EXPECT_EQ(split_field(" folded: line", name, value), bhttp::error::bad_field);
  EXPECT_EQ(split_field("No colon", name, value), bhttp::error::bad_field);
  EXPECT_EQ(split_field("A: bare\rcr", name, value), bhttp::error::bad_value);
}

TEST(FieldSyntaxTest, LengthsAndVersions) {
  EXPECT_EQ(parse_length("0"), 0u);
  EXPECT_EQ(parse_length("1234567890123456789"), 1234567890123456789u);
  EXPECT_FALSE(parse_length("12345678901234567890"));  // 20 digits
  for (const char* bad : {"", "-1", "+1", "1 2", "1,1", "0x10", " 1"}) {
    EXPECT_FALSE(parse_length(bad)) << bad;
  }
  EXPECT_EQ(parse_version("HTTP/1.1"), 11u);
  EXPECT_EQ(parse_version("HTTP/1.0"), 10u);
  for (const char* bad : {"HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "http/1.1", "HTTP/1.1 "}) {
    EXPECT_FALSE(parse_version(bad)) << bad;
  }
}

TEST(FieldSyntaxTest, FramingFieldsFollowRfc9112) {
  FramingFields f;
  EXPECT_FALSE(f.content_length("10"));
  EXPECT_FALSE(f.content_length("10"));  // the same again says one thing
  EXPECT_EQ(f.content_length("11"), bhttp::error::bad_content_length);

  FramingFields te;
  EXPECT_FALSE(te.transfer_encoding("gzip, chunked"));
  EXPECT_TRUE(te.chunked);
  EXPECT_EQ(te.transfer_encoding("gzip"), bhttp::error::bad_transfer_encoding);  // after chunked
  FramingFields none;
  EXPECT_EQ(none.transfer_encoding(" , "), bhttp::error::bad_transfer_encoding);

  FramingFields bad;
  EXPECT_EQ(bad.connection("c<ose"), bhttp::error::bad_value);
  EXPECT_EQ(bad.transfer_encoding("chu nked"), bhttp::error::bad_transfer_encoding);

  FramingFields c;
  EXPECT_FALSE(c.connection("Keep-Alive"));
  EXPECT_TRUE(c.keep_alive(10));
  EXPECT_FALSE(c.connection_says_more);
  EXPECT_FALSE(c.connection("close, X-Hop"));
  EXPECT_FALSE(c.keep_alive(11));
  EXPECT_TRUE(c.connection_says_more);
  EXPECT_FALSE(FramingFields{}.keep_alive(10));
  EXPECT_TRUE(FramingFields{}.keep_alive(11));
}

}  // namespace
}  // namespace junction::http::syntax

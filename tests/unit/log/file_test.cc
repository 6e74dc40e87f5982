#include "log/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "unit/common/temp_dir.h"

namespace junction::log {
namespace {

using junction::test::TempDir;

TEST(File, ReserveAllocatesWithoutChangingTheSize) {
  TempDir dir;
  auto f = File::open(dir / "a.log", true);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, "hello"));
  ASSERT_TRUE(f->reserve(5, 1 << 20));
  EXPECT_EQ(*f->size(), 5u);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "a.log").c_str(), &st), 0);
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, 1u << 20);
  // Writes into the reserve extend the file as usual.
  ASSERT_TRUE(f->write_at(5, " world"));
  EXPECT_EQ(*f->read_at(0, 100), "hello world");
}

TEST(File, WritebackAndReserveFailuresNameTheFile) {
  TempDir dir;
  auto f = File::open(dir / "b.log", true);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, std::string(8192, 'x')));
  EXPECT_TRUE(f->start_writeback(0, 8192));
  f->close();
  auto wb = f->start_writeback(0, 8192);
  ASSERT_FALSE(wb);
  EXPECT_NE(wb.error().message().find("b.log"), std::string::npos) << wb.error().message();
  auto reserve = f->reserve(0, 4096);
  ASSERT_FALSE(reserve);
  EXPECT_NE(reserve.error().message().find("b.log"), std::string::npos);
}

}  // namespace
}  // namespace junction::log

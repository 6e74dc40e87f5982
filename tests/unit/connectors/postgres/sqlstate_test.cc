#include "connectors/postgres/sqlstate.h"

#include <gtest/gtest.h>

namespace junction::connectors::postgres {
namespace {

TEST(Sqlstate, ConnectionAndConcurrencyFailuresAreTransient) {
  for (auto s : {"08006", "08001", "40001", "40P01", "53300", "57P01", "55P03", ""}) {
    EXPECT_EQ(classify_sqlstate(s), ErrorClass::kTransient) << s;
  }
}

TEST(Sqlstate, DataAndIntegrityErrorsAreInvalid) {
  for (auto s : {"22P02", "22001", "23505", "23502", "23514", "21000"}) {
    EXPECT_EQ(classify_sqlstate(s), ErrorClass::kInvalid) << s;
  }
}

TEST(Sqlstate, SchemaAndAccessMistakesArePermanent) {
  EXPECT_EQ(classify_sqlstate("42P01"), ErrorClass::kPermanent);  // undefined table
  EXPECT_EQ(classify_sqlstate("42703"), ErrorClass::kPermanent);  // undefined column
  EXPECT_EQ(classify_sqlstate("42501"), ErrorClass::kPermanent);  // insufficient privilege
  EXPECT_EQ(classify_sqlstate("28P01"), ErrorClass::kUnauthorized);
  EXPECT_EQ(classify_sqlstate("XX000"), ErrorClass::kPermanent);
}

}  // namespace
}  // namespace junction::connectors::postgres

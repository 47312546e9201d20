#include "base/uuid.h"

#include <gtest/gtest.h>

#include <set>

namespace vs {
namespace {

TEST(Uuid, RoundTrips) {
  for (int i = 0; i < 100; i++) {
    Uuid u = Uuid::Random();
    auto parsed = Uuid::Parse(u.ToString());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, u);
    EXPECT_EQ(u.ToString()[14], '4');  // version 4
  }
}

TEST(Uuid, ParsesCanonicalAndRejectsOthers) {
  auto u = Uuid::Parse("cfb59466-5cc2-43e0-82ae-0afb976c070d");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->ToString(), "cfb59466-5cc2-43e0-82ae-0afb976c070d");
  EXPECT_TRUE(Uuid::Parse("CFB59466-5CC2-43E0-82AE-0AFB976C070D"));
  EXPECT_FALSE(Uuid::Parse("cfb59466-5cc2-43e0-82ae-0afb976c070"));
  EXPECT_FALSE(Uuid::Parse("cfb59466x5cc2-43e0-82ae-0afb976c070d"));
  EXPECT_FALSE(Uuid::Parse("gfb59466-5cc2-43e0-82ae-0afb976c070d"));
  EXPECT_FALSE(Uuid::Parse(""));
}

TEST(Uuid, RandomAreDistinct) {
  std::set<Uuid> seen;
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(seen.insert(Uuid::Random()).second);
}

}  // namespace
}  // namespace vs

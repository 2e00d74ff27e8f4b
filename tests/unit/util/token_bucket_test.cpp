#include "util/token_bucket.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, ZeroRateIsUnlimited) {
    TokenBucket bucket;
    for (int i = 0; i < 1000; ++i)
        EXPECT_TRUE(bucket.take());
}

TEST(TokenBucket, BurstThenRefillsAtTheRate) {
    TokenBucket bucket(2, 2);  // 2 a second, 2 at once
    const auto start = TokenBucket::Clock::now();
    EXPECT_TRUE(bucket.take(start));
    EXPECT_TRUE(bucket.take(start));
    EXPECT_FALSE(bucket.take(start));
    EXPECT_EQ(bucket.seconds_until_next(), 1);
    EXPECT_FALSE(bucket.take(start + 400ms));
    EXPECT_TRUE(bucket.take(start + 600ms)) << "half a second makes one token";
    EXPECT_FALSE(bucket.take(start + 600ms));
    EXPECT_TRUE(bucket.take(start + 10s));
    EXPECT_TRUE(bucket.take(start + 10s)) << "a long pause refills to the burst";
    EXPECT_FALSE(bucket.take(start + 10s)) << "and no further";
}

}  // namespace
}  // namespace herald

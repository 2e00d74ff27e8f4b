#include "transport/poll/poll_presence.hpp"

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

using namespace std::chrono_literals;
using Clock = PollPresence::Clock;

/// Counts joins; the memberships themselves are empty (core/presence_test covers them).
struct Joins {
    int count = 0;
    core::PresenceMembership operator()(const std::string&) {
        ++count;
        return {};
    }
};

TEST(PollPresence, OneJoinPerChannelWhilePolled) {
    PollPresence presence(3, 10s);
    Joins joins;
    const Clock::time_point start{};
    presence.polled("a", start, joins);
    presence.polled("a", start + 1s, joins);
    presence.polled("b", start + 2s, joins);
    EXPECT_EQ(joins.count, 2);
    EXPECT_EQ(presence.size(), 2u);
}

TEST(PollPresence, BoundedTheOldestPollLeavesFirst) {
    PollPresence presence(3, 1h);
    Joins joins;
    const Clock::time_point start{};
    presence.polled("a", start, joins);
    presence.polled("b", start + 1s, joins);
    presence.polled("c", start + 2s, joins);
    presence.polled("a", start + 3s, joins);  // a is now the newest; b the oldest
    presence.polled("d", start + 4s, joins);
    EXPECT_EQ(presence.size(), 3u);
    EXPECT_FALSE(presence.contains("b"));
    EXPECT_TRUE(presence.contains("a"));
    EXPECT_TRUE(presence.contains("c"));
    EXPECT_TRUE(presence.contains("d"));
    for (int i = 0; i < 100'000; ++i)
        presence.polled("ch" + std::to_string(i), start + 5s, joins);
    EXPECT_EQ(presence.size(), 3u) << "one connection polling ever new channels stays bounded";
}

TEST(PollPresence, AChannelNotPolledForTheTtlIsLeft) {
    PollPresence presence(10, 10s);
    Joins joins;
    const Clock::time_point start{};
    presence.polled("a", start, joins);
    presence.polled("b", start + 5s, joins);
    presence.expire(start + 9s);
    EXPECT_EQ(presence.size(), 2u);
    presence.polled("b", start + 10s, joins);  // a lapses now; b is renewed
    EXPECT_FALSE(presence.contains("a"));
    EXPECT_TRUE(presence.contains("b"));
    presence.expire(start + 19s);
    EXPECT_TRUE(presence.contains("b"));
    presence.expire(start + 20s);
    EXPECT_EQ(presence.size(), 0u);
    presence.polled("a", start + 21s, joins);
    EXPECT_EQ(joins.count, 3) << "a joins again after it lapsed";
}

}  // namespace
}  // namespace herald::transport

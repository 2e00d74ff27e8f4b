#include "webhook/retry_schedule.hpp"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

RetrySchedule fixed(double unit) {
    return RetrySchedule({}, [unit] { return unit; });
}

TEST(RetrySchedule, NominalDelaysAreTheApiSchedule) {
    const RetrySchedule schedule = fixed(0.5);
    const std::vector<milliseconds> expected = {seconds(1),  seconds(5),  seconds(30), minutes(2),
                                                minutes(10), minutes(30), hours(1),    hours(1)};
    for (std::uint32_t failed = 1; failed <= expected.size(); ++failed) {
        EXPECT_EQ(schedule.nominal_delay(failed), expected[failed - 1]) << failed;
    }
    EXPECT_EQ(schedule.nominal_delay(29), hours(1));
    EXPECT_EQ(schedule.nominal_delay(0), seconds(1)) << "0 is read as 1, not out of range";
}

TEST(RetrySchedule, MidpointRandomGivesTheNominalDelay) {
    const RetrySchedule schedule = fixed(0.5);
    EXPECT_EQ(schedule.next_delay(1, milliseconds(0)), seconds(1));
    EXPECT_EQ(schedule.next_delay(4, seconds(36)), minutes(2));
    EXPECT_EQ(schedule.next_delay(7, minutes(43)), hours(1));
}

TEST(RetrySchedule, JitterSpansPlusMinusTwentyPercent) {
    EXPECT_EQ(fixed(0.0).next_delay(2, seconds(1)), milliseconds(4000));
    EXPECT_EQ(fixed(1.0).next_delay(2, seconds(1)), milliseconds(6000));
    EXPECT_EQ(fixed(0.25).next_delay(3, seconds(6)), milliseconds(27000));
    EXPECT_EQ(fixed(0.75).next_delay(6, minutes(13)), milliseconds(1980000));
}

TEST(RetrySchedule, BrokenRandomSourcesAreClamped) {
    EXPECT_EQ(fixed(-5.0).next_delay(1, milliseconds(0)), milliseconds(800));
    EXPECT_EQ(fixed(7.0).next_delay(1, milliseconds(0)), milliseconds(1200));
}

TEST(RetrySchedule, DefaultRandomStaysInsideTheJitterBand) {
    const RetrySchedule schedule;
    bool below = false;
    bool above = false;
    for (int i = 0; i < 2000; ++i) {
        const auto delay = schedule.next_delay(3, seconds(6));
        ASSERT_TRUE(delay);
        ASSERT_GE(*delay, milliseconds(24000));
        ASSERT_LE(*delay, milliseconds(36000));  // 30 s x 1.2, rounded to the ms
        below = below || *delay < seconds(30);
        above = above || *delay > seconds(30);
    }
    EXPECT_TRUE(below && above) << "jitter goes both ways";
}

TEST(RetrySchedule, GivesUpRatherThanAttemptPastTwentyFourHours) {
    const RetrySchedule schedule = fixed(0.5);
    EXPECT_EQ(schedule.next_delay(20, hours(23)), hours(1)) << "lands exactly on 24 h: allowed";
    EXPECT_FALSE(schedule.next_delay(20, hours(23) + milliseconds(1)));
    EXPECT_FALSE(schedule.next_delay(30, hours(24)));
    EXPECT_FALSE(schedule.next_delay(1, hours(30))) << "time decides, not the attempt count";
}

TEST(RetrySchedule, NominalRunIsThirtyAttemptsOverAboutTwentyFourHours) {
    const RetrySchedule schedule = fixed(0.5);
    milliseconds elapsed{0};  // the first attempt starts at 0
    std::uint32_t attempts = 1;
    while (auto delay = schedule.next_delay(attempts, elapsed)) {
        elapsed += *delay;
        ++attempts;
    }
    EXPECT_EQ(attempts, 30u);
    EXPECT_EQ(elapsed, hours(23) + minutes(42) + seconds(36));
}

TEST(RetrySchedule, WorstCaseJitterStillStopsWithinTheDay) {
    for (double unit : {0.0, 0.999999}) {
        const RetrySchedule schedule = fixed(unit);
        milliseconds elapsed{0};
        std::uint32_t attempts = 1;
        while (auto delay = schedule.next_delay(attempts, elapsed)) {
            elapsed += *delay;
            ++attempts;
        }
        EXPECT_LE(elapsed, hours(24)) << unit;
        EXPECT_GE(attempts, 25u) << unit;
        EXPECT_LE(attempts, 36u) << unit;
    }
}

TEST(RetrySchedule, RetryAfterLengthensAWaitUpToTheLongestOfTheSchedule) {
    const RetrySchedule schedule = fixed(0.5);
    EXPECT_EQ(schedule.longest_delay(), hours(1));
    EXPECT_EQ(schedule.next_delay(1, milliseconds(0), seconds(120)), seconds(120));
    EXPECT_EQ(schedule.next_delay(3, seconds(6), seconds(2)), seconds(30)) << "never shorter";
    EXPECT_EQ(schedule.next_delay(1, milliseconds(0), hours(30)), hours(1)) << "capped";
    EXPECT_EQ(schedule.next_delay(1, hours(23) + minutes(30), hours(1)), std::nullopt)
            << "a wait the receiver asks for still gives up at 24 h";
}

TEST(RetrySchedule, PolicyIsConfigurableByName) {
    RetryPolicy policy;
    policy.delays = {milliseconds(10), milliseconds(20)};
    policy.then_every = milliseconds(50);
    policy.give_up_after = milliseconds(200);
    policy.jitter = 0.0;
    const RetrySchedule schedule(policy, [] { return 0.9; });
    EXPECT_EQ(schedule.next_delay(1, milliseconds(0)), milliseconds(10));
    EXPECT_EQ(schedule.next_delay(2, milliseconds(10)), milliseconds(20));
    EXPECT_EQ(schedule.next_delay(3, milliseconds(30)), milliseconds(50));
    EXPECT_FALSE(schedule.next_delay(5, milliseconds(151)));
    EXPECT_EQ(schedule.policy().then_every, milliseconds(50));
}

TEST(RetrySchedule, NeverReturnsAZeroWait) {
    RetryPolicy policy;
    policy.delays = {milliseconds(0)};
    const RetrySchedule schedule(policy, [] { return 0.0; });
    EXPECT_EQ(schedule.next_delay(1, milliseconds(0)), milliseconds(1));
}

}  // namespace
}  // namespace herald::webhook

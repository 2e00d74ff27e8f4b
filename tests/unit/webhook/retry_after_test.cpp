#include "webhook/retry_after.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date, in ms since the epoch.
constexpr std::int64_t kExample = 784111777000;

TEST(RetryAfter, DelaySecondsAreAWaitWhateverTheTime) {
    EXPECT_EQ(parse_retry_after("120", 0), seconds(120));
    EXPECT_EQ(parse_retry_after("0", kExample), seconds(0));
    EXPECT_EQ(parse_retry_after(" 7 ", kExample), seconds(7)) << "surrounding spaces are allowed";
    EXPECT_EQ(parse_retry_after("99999999999999999999999", 0), seconds(366LL * 24 * 3600))
            << "a huge number is capped, not overflowed";
}

TEST(RetryAfter, AllThreeHttpDateFormsGiveTheTimeLeft) {
    const std::int64_t now = kExample - 90'000;  // 90 s before the date
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(90'000));
    EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), milliseconds(90'000));
    EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), milliseconds(90'000));
    EXPECT_EQ(parse_retry_after("Thu, 01 Jan 2026 00:00:00 GMT", 1767225600000 - 1500),
              milliseconds(1500));
    EXPECT_EQ(parse_retry_after("Wednesday, 01-Jan-25 00:00:00 GMT", 1735689600000 - 1000),
              milliseconds(1000))
            << "a two-digit year under 70 is 20xx";
}

TEST(RetryAfter, ADateInThePastIsNoWait) {
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kExample + 5000), seconds(0));
}

TEST(RetryAfter, AnythingElseIsIgnored) {
    for (const char* bad : {"", "  ", "-5", "1.5", "12s", "soon", "Sun, 06 Nov 1994 08:49:37 UTC",
                            "Sun, 06 Nov 1994 08:49:37", "Sun, 31 Feb 1994 08:49:37 GMT",
                            "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                            "Sun, 06 Nov 1994 -1:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT x"}) {
        EXPECT_EQ(parse_retry_after(bad, kExample), std::nullopt) << '"' << bad << '"';
    }
}

}  // namespace
}  // namespace herald::webhook

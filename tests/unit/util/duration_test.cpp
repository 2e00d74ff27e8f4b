#include "util/duration.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, UnitsAndBareSeconds) {
    EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
    EXPECT_EQ(parse_duration("15s"), milliseconds(15'000));
    EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
    EXPECT_EQ(parse_duration("24h"), milliseconds(86'400'000));
    EXPECT_EQ(parse_duration("7d"), milliseconds(7 * 86'400'000LL));
    EXPECT_EQ(parse_duration("30"), milliseconds(30'000));
    EXPECT_EQ(parse_duration("0s"), milliseconds(0));
}

TEST(ParseDuration, RejectsGarbage) {
    for (const char* text : {"", "s", "-1s", "1.5s", "1 s", "1sec", "abc", "10x", "1hh",
                             "99999999999999999999s", "9223372036854775807d"}) {
        EXPECT_FALSE(parse_duration(text)) << text;
    }
}

TEST(FormatDuration, ShortestExactForm) {
    EXPECT_EQ(format_duration(milliseconds(86'400'000)), "24h");
    EXPECT_EQ(format_duration(milliseconds(120'000)), "2m");
    EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
    EXPECT_EQ(format_duration(milliseconds(30'000)), "30s");
    EXPECT_EQ(format_duration(milliseconds(0)), "0ms");
    EXPECT_EQ(parse_duration(format_duration(milliseconds(7'200'000))), milliseconds(7'200'000));
}

}  // namespace
}  // namespace herald

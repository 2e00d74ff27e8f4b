#include "webhook/channel_glob.hpp"

#include <string>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

ChannelGlob glob(std::string_view pattern) {
    auto parsed = ChannelGlob::parse(pattern);
    if (auto* error = std::get_if<InvalidInput>(&parsed)) ADD_FAILURE() << error->message;
    return std::get<ChannelGlob>(std::move(parsed));
}

std::string error_of(std::string_view pattern) {
    auto parsed = ChannelGlob::parse(pattern);
    auto* error = std::get_if<InvalidInput>(&parsed);
    return error ? error->message : "(accepted)";
}

TEST(ChannelGlob, SuffixStarMatchesThePrefixAndAnythingAfterIt) {
    const ChannelGlob rooms = glob("room:*");
    EXPECT_TRUE(rooms.matches("room:42"));
    EXPECT_TRUE(rooms.matches("room:a:b.c"));
    EXPECT_TRUE(rooms.matches("room:")) << "'*' matches the empty suffix";
    EXPECT_FALSE(rooms.matches("room"));
    EXPECT_FALSE(rooms.matches("rooms:1"));
    EXPECT_FALSE(rooms.matches("Room:1")) << "channels are case-sensitive";
    EXPECT_FALSE(rooms.matches("lobby:room:1"));
    EXPECT_FALSE(rooms.matches(""));
}

TEST(ChannelGlob, NoColonNeeded) {
    const ChannelGlob orders = glob("orders.*");
    EXPECT_TRUE(orders.matches("orders.eu"));
    EXPECT_FALSE(orders.matches("orders"));
    EXPECT_TRUE(glob("a*").matches("abc"));
    EXPECT_TRUE(glob("a*").matches("a"));
}

TEST(ChannelGlob, StarAloneMatchesEveryChannel) {
    const ChannelGlob all = glob("*");
    for (std::string_view channel : {"a", "room:42", "x@y", "z"}) {
        EXPECT_TRUE(all.matches(channel)) << channel;
    }
}

TEST(ChannelGlob, WithoutStarMatchesExactlyOneChannel) {
    const ChannelGlob one = glob("room:42");
    EXPECT_TRUE(one.matches("room:42"));
    EXPECT_FALSE(one.matches("room:420"));
    EXPECT_FALSE(one.matches("room:4"));
    EXPECT_FALSE(one.matches("room:*")) << "a '*' in a channel name is not a wildcard";
}

TEST(ChannelGlob, PatternComesBackAsGiven) {
    for (std::string_view pattern : {"*", "room:*", "room:42", "a.b_c:d@e-f*"}) {
        EXPECT_EQ(glob(pattern).pattern(), pattern);
    }
    EXPECT_EQ(glob("room:*"), glob("room:*"));
    EXPECT_FALSE(glob("room:*") == glob("room:"));
}

TEST(ChannelGlob, AcceptsTheWholeChannelAlphabetAndLength) {
    EXPECT_EQ(error_of("a.b_c:d@e-f*"), "(accepted)");
    EXPECT_EQ(error_of(std::string(200, 'x')), "(accepted)");
    EXPECT_EQ(error_of(std::string(200, 'x') + "*"), "(accepted)");
}

TEST(ChannelGlob, RefusesAStarAnywhereButTheEnd) {
    for (std::string_view bad : {"*:42", "room*:1", "a*b", "room:**", "**", "*a*"}) {
        EXPECT_EQ(error_of(bad), "channel glob \"" + std::string(bad) +
                                         "\": '*' is allowed only once, at the end (\"room:*\")")
                << bad;
    }
}

TEST(ChannelGlob, RefusesCharactersOutsideTheChannelAlphabet) {
    for (std::string_view bad :
         {"room:?", "room/*", "room :*", "[ab]*", "caf\xc3\xa9", "a%2A", "room\n*"}) {
        EXPECT_NE(error_of(bad).find("use channel characters"), std::string::npos) << bad;
    }
    EXPECT_NE(error_of(std::string(201, 'x')).find("at most 200"), std::string::npos);
}

TEST(ChannelGlob, RefusesEmpty) {
    EXPECT_EQ(error_of(""), "channel glob must not be empty");
}

TEST(ChannelGlob, ErrorMessagesStayShortAndPrintable) {
    const std::string message = error_of(std::string(500, 'x') + "\x01*");
    EXPECT_LT(message.size(), 200u);
    EXPECT_NE(message.find("..."), std::string::npos);
    EXPECT_EQ(error_of("\x01*").find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace herald::webhook

#include "webhook/endpoint_filter.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

using Names = std::vector<std::string>;

EndpointFilter filter(const Names& events, const Names& channels) {
    auto parsed = EndpointFilter::parse(events, channels);
    if (auto* error = std::get_if<InvalidInput>(&parsed)) ADD_FAILURE() << error->message;
    return std::get<EndpointFilter>(std::move(parsed));
}

std::string error_of(const Names& events, const Names& channels) {
    auto parsed = EndpointFilter::parse(events, channels);
    auto* error = std::get_if<InvalidInput>(&parsed);
    return error ? error->message : "(accepted)";
}

TEST(EndpointFilter, MatchesTheChosenEventsOnTheGlobbedChannels) {
    const auto f = filter({"message.published", "channel.occupied"}, {"room:*", "lobby"});
    EXPECT_TRUE(f.matches(EventType::message_published, "room:1"));
    EXPECT_TRUE(f.matches(EventType::channel_occupied, "lobby"));
    EXPECT_FALSE(f.matches(EventType::message_published, "lobby:2")) << "'lobby' is exact";
    EXPECT_FALSE(f.matches(EventType::message_published, "orders"));
    EXPECT_FALSE(f.matches(EventType::channel_vacated, "room:1")) << "type not chosen";
    EXPECT_FALSE(f.matches(EventType::presence_joined, "lobby"));
    EXPECT_TRUE(f.wants(EventType::channel_occupied));
    EXPECT_FALSE(f.wants(EventType::presence_left));
}

TEST(EndpointFilter, NoGlobsMeansEveryChannel) {
    const auto f = filter({"presence.joined"}, {});
    EXPECT_TRUE(f.matches(EventType::presence_joined, "anything"));
    EXPECT_TRUE(f.matches(EventType::presence_joined, "room:1"));
    EXPECT_FALSE(f.matches(EventType::presence_left, "room:1"));
    EXPECT_TRUE(f.channels().empty());
}

TEST(EndpointFilter, EveryTypeCanBeChosen) {
    Names all;
    for (EventType type : kEventTypes)
        all.emplace_back(name_of(type));
    const auto f = filter(all, {"*"});
    for (EventType type : kEventTypes) {
        EXPECT_TRUE(f.matches(type, "c")) << name_of(type);
    }
    EXPECT_EQ(f.event_types().size(), kEventTypes.size());
}

TEST(EndpointFilter, ListsTypesInCanonicalOrderWithoutDuplicates) {
    const auto f = filter({"presence.left", "message.published", "presence.left"}, {"b*", "a"});
    EXPECT_EQ(f.event_types(),
              (std::vector{EventType::message_published, EventType::presence_left}));
    ASSERT_EQ(f.channels().size(), 2u);
    EXPECT_EQ(f.channels()[0].pattern(), "b*");
    EXPECT_EQ(f.channels()[1].pattern(), "a");
}

TEST(EndpointFilter, RefusesNoEvents) {
    EXPECT_EQ(error_of({}, {"room:*"}),
              "events must name at least one of: message.published, channel.occupied, "
              "channel.vacated, presence.joined, presence.left");
}

TEST(EndpointFilter, RefusesAnUnknownEventNamingIt) {
    EXPECT_EQ(error_of({"message.published", "message.deleted"}, {}),
              "unknown event type \"message.deleted\"; expected one of: message.published, "
              "channel.occupied, channel.vacated, presence.joined, presence.left");
    EXPECT_NE(error_of({""}, {}).find("unknown event type \"\""), std::string::npos);
}

TEST(EndpointFilter, RefusesABadGlobWithTheGlobsMessage) {
    EXPECT_EQ(error_of({"message.published"}, {"room:*", "*:1"}),
              "channel glob \"*:1\": '*' is allowed only once, at the end (\"room:*\")");
    EXPECT_EQ(error_of({"message.published"}, {""}), "channel glob must not be empty");
}

}  // namespace
}  // namespace herald::webhook

#include "webhook/event_type.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace herald::webhook {
namespace {

TEST(EventType, NamesAreTheApiNames) {
    EXPECT_EQ(name_of(EventType::message_published), "message.published");
    EXPECT_EQ(name_of(EventType::channel_occupied), "channel.occupied");
    EXPECT_EQ(name_of(EventType::channel_vacated), "channel.vacated");
    EXPECT_EQ(name_of(EventType::presence_joined), "presence.joined");
    EXPECT_EQ(name_of(EventType::presence_left), "presence.left");
}

TEST(EventType, ParsesEachNameBackAndListsThemAll) {
    std::set<std::string_view> names;
    for (EventType type : kEventTypes) {
        EXPECT_EQ(parse_event_type(name_of(type)), type);
        EXPECT_NE(event_type_list().find(name_of(type)), std::string_view::npos);
        names.insert(name_of(type));
    }
    EXPECT_EQ(names.size(), 5u);
}

TEST(EventType, RefusesAnythingElse) {
    for (std::string_view bad :
         {"", "message", "message_published", "Message.Published", "message.published ",
          " message.published", "message.*", "*", "channel.occupied.x", "presence"}) {
        EXPECT_FALSE(parse_event_type(bad)) << bad;
    }
}

}  // namespace
}  // namespace herald::webhook

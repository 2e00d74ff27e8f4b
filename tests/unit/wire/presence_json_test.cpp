#include "wire/presence_json.hpp"

#include <gtest/gtest.h>

namespace herald::wire {
namespace {

const std::vector<core::PresenceEntry> kClients{
        {"c_1", std::nullopt, "sse", 100},
        {"c_2", "ann \"a\"", "websocket", 200},
};

TEST(PresenceJson, HttpReplyListsTransportAndSince) {
    EXPECT_EQ(presence_reply("room:1", kClients),
              R"({"channel":"room:1","clients":[)"
              R"({"client":"c_1","user":null,"transport":"sse","since":100},)"
              R"({"client":"c_2","user":"ann \"a\"","transport":"websocket","since":200}]})");
    EXPECT_EQ(presence_reply("empty", {}), R"({"channel":"empty","clients":[]})");
}

TEST(PresenceJson, WebSocketReplyEchoesRef) {
    EXPECT_EQ(ws_presence("r", kClients, "7"),
              R"({"type":"presence","channel":"r","clients":[)"
              R"({"client":"c_1","user":null},{"client":"c_2","user":"ann \"a\""}],"ref":7})");
    EXPECT_EQ(ws_presence("r", {}, std::nullopt),
              R"({"type":"presence","channel":"r","clients":[]})");
}

TEST(PresenceJson, JoinAndLeave) {
    using Kind = core::PresenceChange::Kind;
    EXPECT_EQ(ws_presence_change({Kind::join, "r", "c_9", std::nullopt}),
              R"({"type":"join","channel":"r","client":"c_9","user":null})");
    EXPECT_EQ(ws_presence_change({Kind::leave, "r", "c_9", "bob"}),
              R"({"type":"leave","channel":"r","client":"c_9","user":"bob"})");
}

}  // namespace
}  // namespace herald::wire

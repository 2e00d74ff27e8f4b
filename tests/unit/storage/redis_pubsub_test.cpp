#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/redis_fixture.hpp"
#include "storage/redis/redis_connection.hpp"  // first: proves the header is self-contained

namespace herald::storage::redis {
namespace {

struct Push {
    PushKind kind;
    std::string channel;
    std::string payload;
    bool operator==(const Push&) const = default;
};

class RedisPubSubTest : public RedisTest {
protected:
    /// A connection whose pushes land in `pushes_`.
    std::shared_ptr<RedisConnection> open_subscriber() {
        auto connection = make(server_);
        connection->on_push([this](PushKind kind, std::string channel, std::string payload) {
            pushes_.push_back({kind, std::move(channel), std::move(payload)});
        });
        EXPECT_FALSE(connect(*connection));
        return connection;
    }
    /// An (un)subscribe, waited for.
    RedisReply wait_for(void (RedisConnection::*verb)(std::vector<std::string>, ReplyHandler),
                        RedisConnection& connection, std::vector<std::string> channels) {
        bool done = false;
        RedisReply result;
        (connection.*verb)(std::move(channels), [&](boost::system::error_code ec, RedisReply r) {
            EXPECT_FALSE(ec) << ec.message();
            done = true;
            result = std::move(r);
        });
        EXPECT_TRUE(run_until([&] { return done; }));
        return result;
    }

    test::RedisServer server_;
    std::vector<Push> pushes_;
};

TEST_F(RedisPubSubTest, ShardedPushesArriveInOrder) {
    auto subscriber = open_subscriber();
    auto publisher = open(server_);
    const RedisReply confirmed =
            wait_for(&RedisConnection::ssubscribe, *subscriber, {"{p1}a", "{p1}b"});
    EXPECT_EQ(
            to_string(confirmed),
            "[[\"ssubscribe\", \"{p1}a\", (integer) 1], [\"ssubscribe\", \"{p1}b\", (integer) 2]]");

    std::vector<Push> sent;
    int answered = 0;
    for (int i = 0; i < 200; ++i) {
        const std::string channel = i % 2 == 0 ? "{p1}a" : "{p1}b";
        sent.push_back({PushKind::smessage, channel, std::string("m").append(std::to_string(i))});
        publisher->command({"SPUBLISH", channel, sent.back().payload},
                           [&](boost::system::error_code ec, const RedisReply& reply) {
                               EXPECT_FALSE(ec);
                               EXPECT_EQ(reply, RedisReply::make_integer(1));  // one subscriber
                               ++answered;
                           });
    }
    ASSERT_TRUE(run_until([&] { return pushes_.size() == sent.size() && answered == 200; }));
    EXPECT_EQ(pushes_, sent);

    // Replies still find their commands between pushes.
    EXPECT_EQ(to_string(call(*subscriber, {"PING"})), "[\"pong\", \"\"]");
    EXPECT_EQ(to_string(wait_for(&RedisConnection::sunsubscribe, *subscriber, {"{p1}a"})),
              "[[\"sunsubscribe\", \"{p1}a\", (integer) 1]]");
    pushes_.clear();
    EXPECT_EQ(call(*publisher, {"SPUBLISH", "{p1}a", "gone"}), RedisReply::make_integer(0));
    EXPECT_EQ(call(*publisher, {"SPUBLISH", "{p1}b", "kept"}), RedisReply::make_integer(1));
    ASSERT_TRUE(run_until([&] { return pushes_.size() == 1; }));
    EXPECT_EQ(pushes_[0], (Push{PushKind::smessage, "{p1}b", "kept"}));
}

TEST_F(RedisPubSubTest, PlainSubscribeGetsMessages) {
    auto subscriber = open_subscriber();
    auto publisher = open(server_);
    wait_for(&RedisConnection::subscribe, *subscriber, {"news"});
    EXPECT_EQ(call(*publisher, {"PUBLISH", "news", "hello"}), RedisReply::make_integer(1));
    ASSERT_TRUE(run_until([&] { return pushes_.size() == 1; }));
    EXPECT_EQ(pushes_[0], (Push{PushKind::message, "news", "hello"}));
    EXPECT_EQ(to_string(wait_for(&RedisConnection::unsubscribe, *subscriber, {"news", "other"})),
              "[[\"unsubscribe\", \"news\", (integer) 0], [\"unsubscribe\", \"other\", (integer) "
              "0]]");
}

TEST_F(RedisPubSubTest, ShardedSubscribeAcrossSlotsIsAnErrorReply) {
    auto subscriber = open_subscriber();
    const RedisReply refused = wait_for(&RedisConnection::ssubscribe, *subscriber, {"a", "b"});
    // One Redis (no cluster) takes any channels; a cluster refuses these with CROSSSLOT, and
    // either way the next command gets its own reply.
    EXPECT_TRUE(refused.is_array() || refused.is_error()) << to_string(refused);
    EXPECT_EQ(to_string(call(*subscriber, {"PING"})), "[\"pong\", \"\"]");
}

TEST_F(RedisPubSubTest, ArraysOnAnOrdinaryConnectionAreReplies) {
    auto ordinary = open_subscriber();  // a push handler, but never subscribed
    const auto expected = RedisReply::make_array({RedisReply::make_string("smessage"),
                                                  RedisReply::make_string("{p1}a"),
                                                  RedisReply::make_string("payload")});
    EXPECT_EQ(call(*ordinary, {"RPUSH", "looks-like-a-push", "smessage", "{p1}a", "payload"}),
              RedisReply::make_integer(3));
    EXPECT_EQ(call(*ordinary, {"LRANGE", "looks-like-a-push", "0", "-1"}), expected);
    EXPECT_EQ(call(*ordinary, {"RPUSH", "confirmation", "ssubscribe", "{p1}a", "x"}),
              RedisReply::make_integer(3));
    EXPECT_EQ(call(*ordinary, {"LRANGE", "confirmation", "0", "-1"}).elements().size(), 3u);
    EXPECT_TRUE(pushes_.empty());
}

TEST_F(RedisPubSubTest, RepliesBeforeTheFirstSubscribeAreNotPushes) {
    auto connection = open_subscriber();
    call(*connection, {"RPUSH", "l", "message", "ch", "x"});
    RedisReply listed;
    connection->command(
            {"LRANGE", "l", "0", "-1"},
            [&](boost::system::error_code, RedisReply reply) { listed = std::move(reply); });
    bool subscribed = false;  // queued behind LRANGE, in the same write
    connection->subscribe({"ch"},
                          [&](boost::system::error_code, const RedisReply&) { subscribed = true; });
    ASSERT_TRUE(run_until([&] { return subscribed; }));
    EXPECT_EQ(listed.elements().size(), 3u);
    EXPECT_TRUE(pushes_.empty());
}

}  // namespace
}  // namespace herald::storage::redis

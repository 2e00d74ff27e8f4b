#include "storage/redis/redis_client.hpp"  // first: proves the header is self-contained

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "../support/redis_fixture.hpp"

namespace herald::storage::redis {
namespace {

class RedisClientTest : public RedisTest {
protected:
    std::shared_ptr<RedisClient> make_client(std::uint16_t port) {
        auto client = std::make_shared<RedisClient>(
                context_.get_executor(),
                parse_redis_url("redis://127.0.0.1:" + std::to_string(port)),
                RedisClientOptions{.timeout = 500ms});
        client->on_state([this](bool up) { states_.push_back(up); });
        return client;
    }
    /// Issues a command and runs only what is ready now: whether it was answered at once.
    bool fails_at_once(RedisClient& client, boost::system::error_code expected) {
        int calls = 0;
        boost::system::error_code got;
        client.command({"PING"}, [&](boost::system::error_code ec, const RedisReply&) {
            ++calls;
            got = ec;
        });
        EXPECT_EQ(calls, 0);  // never inside command()
        context_.poll();
        return calls == 1 && got == expected;
    }

    test::RedisServer server_;
    std::vector<bool> states_;
};

TEST_F(RedisClientTest, ComesBackAfterTheServerRestarts) {
    auto client = make_client(server_.port());
    client->start();
    ASSERT_TRUE(run_until([&] { return client->up(); }));
    EXPECT_EQ(states_, std::vector<bool>{true});

    bool answered = false;
    client->command({"SET", "k", "v"}, [&](boost::system::error_code ec, const RedisReply& reply) {
        EXPECT_FALSE(ec);
        EXPECT_EQ(reply, RedisReply::make_status("OK"));
        answered = true;
    });
    ASSERT_TRUE(run_until([&] { return answered; }));

    server_.kill();
    ASSERT_TRUE(run_until([&] { return !client->up(); }));
    EXPECT_EQ(states_, (std::vector<bool>{true, false}));
    EXPECT_EQ(client->connection(), nullptr);
    EXPECT_TRUE(fails_at_once(*client, RedisErrc::not_connected));

    server_.start();  // same port; the client's backoff finds it
    ASSERT_TRUE(run_until([&] { return client->up(); }, 10s));
    EXPECT_EQ(states_, (std::vector<bool>{true, false, true}));
    answered = false;
    client->command({"PING"}, [&](boost::system::error_code ec, const RedisReply& reply) {
        EXPECT_FALSE(ec);
        EXPECT_EQ(reply, RedisReply::make_status("PONG"));
        answered = true;
    });
    ASSERT_TRUE(run_until([&] { return answered; }));
    ASSERT_NE(client->connection(), nullptr);
}

TEST_F(RedisClientTest, FailsFastWhileNoServerAnswers) {
    const std::uint16_t port = server_.port();
    server_.stop();
    auto client = make_client(port);
    client->start();
    context_.poll();
    EXPECT_FALSE(client->up());
    EXPECT_TRUE(fails_at_once(*client, RedisErrc::not_connected));
    EXPECT_TRUE(states_.empty());  // never up, so never down either

    server_.start();
    ASSERT_TRUE(run_until([&] { return client->up(); }, 10s));
    EXPECT_EQ(states_, std::vector<bool>{true});
}

TEST_F(RedisClientTest, DroppingTheClientClosesItsConnection) {
    auto client = make_client(server_.port());
    client->start();
    ASSERT_TRUE(run_until([&] { return client->up(); }));
    std::weak_ptr<RedisConnection> connection = client->connection();
    int calls = 0;
    boost::system::error_code got;
    client->command({"DEBUG", "SLEEP", "0.2"},
                    [&](boost::system::error_code ec, const RedisReply&) {
                        ++calls;
                        got = ec;
                    });
    client.reset();
    ASSERT_TRUE(run_until([&] { return connection.expired(); }));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(got, boost::asio::error::operation_aborted);
    EXPECT_EQ(states_, std::vector<bool>{true});  // stopping is not an outage
}

}  // namespace
}  // namespace herald::storage::redis

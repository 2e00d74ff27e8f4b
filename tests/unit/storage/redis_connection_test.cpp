#include "storage/redis/redis_connection.hpp"  // first: proves the header is self-contained

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/redis_fixture.hpp"

namespace herald::storage::redis {
namespace {

using Kind = RedisReply::Kind;
using test::RedisServer;

/// What each command's handler got, and how many times it ran.
struct Outcome {
    int calls = 0;
    boost::system::error_code ec;
    RedisReply reply;
};

ReplyHandler record(Outcome& outcome) {
    return [&outcome](boost::system::error_code ec, RedisReply reply) {
        ++outcome.calls;
        outcome.ec = ec;
        outcome.reply = std::move(reply);
    };
}

bool all_called(const std::vector<Outcome>& outcomes) {
    for (const auto& outcome : outcomes) {
        if (outcome.calls == 0) return false;
    }
    return true;
}

class RedisConnectionTest : public RedisTest {
protected:
    RedisServer server_;
};

TEST_F(RedisConnectionTest, PipelinedRepliesComeInOrderFromOneWrite) {
    auto connection = open(server_);
    const auto writes_before = connection->writes();
    std::vector<Outcome> outcomes(1000);
    for (auto& outcome : outcomes) {
        connection->command({"INCR", "counter"}, record(outcome));
    }
    EXPECT_EQ(connection->pending(), 1000u);

    ASSERT_TRUE(run_until([&] { return all_called(outcomes); }));
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        ASSERT_FALSE(outcomes[i].ec) << outcomes[i].ec.message();
        ASSERT_EQ(outcomes[i].reply, RedisReply::make_integer(static_cast<std::int64_t>(i + 1)));
        ASSERT_EQ(outcomes[i].calls, 1);
    }
    EXPECT_EQ(connection->writes() - writes_before, 1u);  // issued in one turn: one write
    EXPECT_EQ(connection->pending(), 0u);
}

TEST_F(RedisConnectionTest, RepliesMapToTheirKinds) {
    auto connection = open(server_);
    EXPECT_EQ(call(*connection, {"SET", "k", "v"}), RedisReply::make_status("OK"));
    EXPECT_EQ(call(*connection, {"GET", "k"}), RedisReply::make_string("v"));
    EXPECT_EQ(call(*connection, {"GET", "missing"}).kind(), Kind::nil);
    EXPECT_EQ(call(*connection, {"INCR", "n"}), RedisReply::make_integer(1));
    EXPECT_EQ(call(*connection, {"RPUSH", "list", "a", "b"}), RedisReply::make_integer(2));
    EXPECT_EQ(call(*connection, {"LRANGE", "list", "0", "-1"}),
              RedisReply::make_array({RedisReply::make_string("a"), RedisReply::make_string("b")}));
    EXPECT_EQ(call(*connection, {"LRANGE", "missing", "0", "-1"}), RedisReply::make_array({}));

    // A server error is a reply, not an error code, and the connection goes on.
    const RedisReply unknown = call(*connection, {"NO-SUCH-COMMAND"});
    EXPECT_EQ(unknown.kind(), Kind::error);
    EXPECT_TRUE(unknown.text().starts_with("ERR ")) << to_string(unknown);
    EXPECT_TRUE(call(*connection, {"INCR", "list"}).text().starts_with("WRONGTYPE"));
    EXPECT_TRUE(connection->is_open());

    const std::string binary("a\0b\r\n$3\r\n", 9);  // RESP framing inside a value
    EXPECT_EQ(call(*connection, {"SET", binary, binary}), RedisReply::make_status("OK"));
    EXPECT_EQ(call(*connection, {"GET", binary}).text(), binary);
    EXPECT_EQ(to_string(call(*connection, {"MGET", "k", "missing", "n"})), "[\"v\", (nil), \"1\"]");
}

TEST_F(RedisConnectionTest, LargeBulkReplySpansManyReads) {
    auto connection = open(server_);
    std::string big(1 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = static_cast<char>('a' + i % 26);
    }
    EXPECT_EQ(call(*connection, {"SET", "big", big}), RedisReply::make_status("OK"));
    Outcome small;
    Outcome large;
    connection->command({"GET", "big"}, record(large));
    connection->command({"ECHO", "after"}, record(small));
    ASSERT_TRUE(run_until([&] { return small.calls == 1; }));
    EXPECT_EQ(large.reply.text().size(), big.size());
    EXPECT_TRUE(large.reply.text() == big);
    EXPECT_EQ(small.reply.text(), "after");
}

TEST_F(RedisConnectionTest, HandlersMayIssueCommands) {
    auto connection = open(server_);
    std::vector<std::int64_t> seen;
    std::function<void(boost::system::error_code, RedisReply)> next;
    next = [&](boost::system::error_code ec, const RedisReply& reply) {
        ASSERT_FALSE(ec);
        seen.push_back(reply.integer());
        if (seen.size() < 10) connection->command({"INCR", "chain"}, next);
    };
    connection->command({"INCR", "chain"}, next);
    ASSERT_TRUE(run_until([&] { return seen.size() == 10; }));
    EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST_F(RedisConnectionTest, CommandsIssuedBeforeReadyWaitForIt) {
    auto connection = make(server_, {.db = 2});
    Outcome early;
    connection->command({"SET", "early", "1"}, record(early));  // before connect
    ASSERT_FALSE(connect(*connection));
    ASSERT_TRUE(run_until([&] { return early.calls == 1; }));
    EXPECT_EQ(early.reply, RedisReply::make_status("OK"));
}

TEST_F(RedisConnectionTest, SelectsTheDatabaseAsked) {
    auto in_db3 = open(server_, connection_options(parse_redis_url("redis://127.0.0.1/3")));
    EXPECT_EQ(call(*in_db3, {"SET", "where", "three"}), RedisReply::make_status("OK"));
    auto in_db0 = open(server_);
    EXPECT_TRUE(call(*in_db0, {"GET", "where"}).is_nil());
    EXPECT_EQ(call(*in_db3, {"GET", "where"}).text(), "three");

    auto no_such_db = make(server_, {.db = 100000});
    EXPECT_EQ(connect(*no_such_db), RedisErrc::select_failed);
}

class RedisAuthTest : public RedisTest {
protected:
    RedisServer server_{{.password = "s3cret", .extra_args = {}}};
};

TEST_F(RedisAuthTest, PasswordIsSentAndAWrongOneFails) {
    auto good = open(server_, {.password = "s3cret"});
    EXPECT_EQ(call(*good, {"PING"}), RedisReply::make_status("PONG"));
    auto as_default_user = open(server_, {.user = "default", .password = "s3cret"});
    EXPECT_EQ(call(*as_default_user, {"PING"}), RedisReply::make_status("PONG"));

    auto bad = make(server_, {.password = "wrong"});
    Outcome queued;
    bad->command({"PING"}, record(queued));
    EXPECT_EQ(connect(*bad), RedisErrc::auth_failed);
    ASSERT_TRUE(run_until([&] { return queued.calls == 1; }));
    EXPECT_EQ(queued.ec, RedisErrc::auth_failed);  // never sent: it would only get NOAUTH
    EXPECT_TRUE(bad->is_closed());

    auto without = open(server_);  // no password: connects, then every command is refused
    EXPECT_TRUE(call(*without, {"PING"}).text().starts_with("NOAUTH"));
}

TEST_F(RedisConnectionTest, LateReplyTimesOutEveryPendingHandlerOnce) {
    auto connection = open(server_, {.timeout = 300ms});
    std::vector<Outcome> outcomes(5);
    int closes = 0;
    connection->on_close([&](boost::system::error_code ec) {
        EXPECT_EQ(ec, RedisErrc::timeout);
        EXPECT_EQ(outcomes[0].calls, 0);  // the close handler hears it first
        ++closes;
    });
    const auto start = std::chrono::steady_clock::now();
    connection->command({"DEBUG", "SLEEP", "1"}, record(outcomes[0]));
    for (std::size_t i = 1; i < outcomes.size(); ++i) {
        connection->command({"GET", "k"}, record(outcomes[i]));
    }
    ASSERT_TRUE(run_until([&] { return all_called(outcomes); }));
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 300ms);
    EXPECT_LT(waited, 900ms);  // before the server woke up
    EXPECT_TRUE(connection->is_closed());

    // Once the server answers again, its late replies would have arrived: nobody hears twice.
    auto other = open(server_);
    EXPECT_EQ(call(*other, {"PING"}), RedisReply::make_status("PONG"));
    context_.poll();
    for (const auto& outcome : outcomes) {
        EXPECT_EQ(outcome.calls, 1);
        EXPECT_EQ(outcome.ec, RedisErrc::timeout);
    }
    EXPECT_EQ(closes, 1);
}

TEST_F(RedisConnectionTest, ServerKilledMidPipelineFailsEveryPendingHandlerOnce) {
    auto connection = open(server_);
    std::vector<Outcome> outcomes(51);
    connection->command({"DEBUG", "SLEEP", "5"}, record(outcomes[0]));  // holds the replies back
    for (std::size_t i = 1; i < outcomes.size(); ++i) {
        connection->command({"SET", std::string("k").append(std::to_string(i)), "v"},
                            record(outcomes[i]));
    }
    ASSERT_TRUE(run_until([&] { return connection->unwritten_bytes() == 0; }));  // all sent

    server_.kill();
    Outcome after;
    bool retried = false;
    connection->on_close([&](boost::system::error_code) {
        // A handler may issue a command while the connection fails: it is turned away.
        connection->command({"PING"}, record(after));
        retried = true;
    });
    ASSERT_TRUE(run_until([&] { return all_called(outcomes) && after.calls == 1; }));
    context_.poll();
    for (const auto& outcome : outcomes) {
        EXPECT_EQ(outcome.calls, 1);
        EXPECT_EQ(outcome.ec, RedisErrc::connection_lost);
    }
    EXPECT_TRUE(retried);
    EXPECT_EQ(after.ec, RedisErrc::not_connected);
}

TEST_F(RedisConnectionTest, CloseFailsPendingOnceAndLater) {
    auto connection = open(server_);
    Outcome pending;
    connection->command({"PING"}, record(pending));
    connection->close();
    connection->close();          // idempotent
    EXPECT_EQ(pending.calls, 0);  // never inside close()
    Outcome after;
    connection->command({"PING"}, record(after));
    ASSERT_TRUE(run_until([&] { return pending.calls == 1 && after.calls == 1; }));
    EXPECT_EQ(pending.ec, boost::asio::error::operation_aborted);
    EXPECT_EQ(after.ec, RedisErrc::not_connected);
    context_.poll();
    EXPECT_EQ(pending.calls, 1);
}

TEST_F(RedisConnectionTest, PastMaxPendingCommandsFailAtOnce) {
    auto connection = open(server_, {.max_pending = 3});
    std::vector<Outcome> outcomes(4);
    for (auto& outcome : outcomes) {
        connection->command({"PING"}, record(outcome));
    }
    ASSERT_TRUE(run_until([&] { return all_called(outcomes); }));
    EXPECT_FALSE(outcomes[2].ec);
    EXPECT_EQ(outcomes[3].ec, RedisErrc::overloaded);
}

TEST_F(RedisConnectionTest, NothingListeningFailsTheConnect) {
    const std::uint16_t port = server_.port();
    server_.stop();
    auto connection = std::make_shared<RedisConnection>(
            context_.get_executor(), RedisEndpoint{"localhost", port}, RedisConnectionOptions{});
    EXPECT_EQ(connect(*connection), boost::asio::error::connection_refused);
    EXPECT_TRUE(connection->is_closed());
}

}  // namespace
}  // namespace herald::storage::redis

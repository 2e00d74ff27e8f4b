#pragma once
// Test support: an io_context the test runs until a condition holds, and Redis helpers on it.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "redis_server.hpp"
#include "storage/redis/redis_connection.hpp"

namespace herald::storage::redis {

using namespace std::chrono_literals;

/// A test with its own io_context: nothing sleeps, the loop runs until what the test waits
/// for holds, within a bound that fails the test instead of hanging it.
class RedisTest : public ::testing::Test {
protected:
    ~RedisTest() override {
        for (auto& connection : connections_)
            connection->close();
        work_.reset();
        context_.run_for(2s);  // returns once the closed connections' last handlers ran
    }

    /// Runs the loop until `done` holds; false when `limit` passed first.
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            context_.run_for(5ms);
        }
        return true;
    }

    std::shared_ptr<RedisConnection> make(const test::RedisServer& server,
                                          RedisConnectionOptions options = {}) {
        connections_.push_back(std::make_shared<RedisConnection>(
                context_.get_executor(), RedisEndpoint{"127.0.0.1", server.port()},
                std::move(options)));
        return connections_.back();
    }

    /// Connects and waits for it; the error, if any.
    boost::system::error_code connect(RedisConnection& connection) {
        bool done = false;
        boost::system::error_code result;
        connection.connect([&](boost::system::error_code ec) {
            done = true;
            result = ec;
        });
        EXPECT_TRUE(run_until([&] { return done; })) << "connect did not complete";
        return result;
    }

    std::shared_ptr<RedisConnection> open(const test::RedisServer& server,
                                          RedisConnectionOptions options = {}) {
        auto connection = make(server, std::move(options));
        const auto ec = connect(*connection);
        EXPECT_FALSE(ec) << ec.message();
        return connection;
    }

    /// One command, waited for; an error code fails the test.
    RedisReply call(RedisConnection& connection, std::vector<std::string> args) {
        bool done = false;
        RedisReply result = RedisReply::make_error("(no reply)");
        connection.command(std::move(args), [&](boost::system::error_code ec, RedisReply reply) {
            EXPECT_FALSE(ec) << ec.message();
            done = true;
            result = std::move(reply);
        });
        EXPECT_TRUE(run_until([&] { return done; })) << "no reply";
        return result;
    }

    boost::asio::io_context context_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
            context_.get_executor()};
    std::vector<std::shared_ptr<RedisConnection>> connections_;  // closed at the end
};

}  // namespace herald::storage::redis

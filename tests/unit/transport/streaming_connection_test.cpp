#include "transport/common/streaming_connection.hpp"

#include <functional>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/presence.hpp"
#include "runtime/shard_group.hpp"

namespace herald::transport {
namespace {

using namespace std::chrono_literals;

/// An adapter that frames each write as "<...>", records what it is told, and lets the test
/// drive the protected API.
class TestConnection final : public StreamingConnection {
public:
    TestConnection(runtime::Socket&& socket, std::string head, const ConnectionSettings& settings,
                   ShardServices& services, core::ShardMetrics& metrics)
        : StreamingConnection(std::move(socket), std::move(head), settings, services, metrics) {}

    using StreamingConnection::close;
    using StreamingConnection::finish;
    using StreamingConnection::open;
    using StreamingConnection::push;
    using StreamingConnection::writing;

    void on_shutdown() override { close(); }

    std::string read;  // what on_bytes got
    int writes = 0;
    int drained = 0;
    int closed = 0;
    std::function<void()> overflow;  // default: the base's (count, close)

private:
    void on_bytes(std::span<char> bytes) override { read.append(bytes.data(), bytes.size()); }
    std::pair<boost::asio::const_buffer, boost::asio::const_buffer> framing(std::size_t) override {
        ++writes;
        return {boost::asio::buffer("<", 1), boost::asio::buffer(">", 1)};
    }
    void on_drained() override { ++drained; }
    void on_overflow() override {
        if (overflow) return overflow();
        close();
    }
    void on_closed() override { ++closed; }
    const char* kind() const override { return "test"; }
};

/// A connection on one end of a socket pair, the test's peer on the other, a real shard
/// services (ticker and coalescer) on an io_context the test runs.
class StreamingConnectionTest : public ::testing::Test {
protected:
    StreamingConnectionTest() {
        int pair[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair), 0);
        peer_ = pair[1];
        runtime::Socket socket(context_.get_executor());
        boost::system::error_code ec;
        socket.assign(runtime::tcp::v4(), pair[0], ec);
        EXPECT_FALSE(ec);
        connection_fd_ = pair[0];
        socket_ = std::move(socket);
        services_.ticker.start();
    }
    ~StreamingConnectionTest() override {
        if (connection_) connection_->close();
        services_.ticker.stop();
        services_.coalescer.stop();
        context_.run_for(10ms);
        if (peer_ >= 0) ::close(peer_);
    }

    std::shared_ptr<TestConnection> make(std::string head = "H") {
        connection_ = std::make_shared<TestConnection>(std::move(*socket_), std::move(head),
                                                       settings_, services_, metrics_);
        return connection_;
    }
    /// Small kernel buffers on both ends, so a peer that does not read stalls writes soon.
    void shrink_buffers() {
        const int size = 4096;
        ::setsockopt(connection_fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        ::setsockopt(peer_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }

    /// Runs the io_context until `done` holds, at most `limit`.
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 3s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            context_.run_for(5ms);
        }
        return true;
    }
    /// Everything the peer can read now.
    std::string peer_read() {
        std::string out;
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::recv(peer_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n <= 0) break;
            out.append(buffer, static_cast<std::size_t>(n));
        }
        return out;
    }
    /// Whether the peer sees the connection's end of stream (after what it has read).
    bool peer_sees_end() {
        char byte;
        return ::recv(peer_, &byte, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
    }

    boost::asio::io_context context_{1};
    runtime::ShardGroup shards_{1};
    core::Presence presence_{shards_};
    ShardServices services_{context_.get_executor(), 20ms, 5ms, presence_, 1 << 20};
    ConnectionSettings settings_{
            .send_queue_bytes = 64 * 1024, .write_timeout = 200ms, .close_timeout = 200ms};
    core::ShardMetrics metrics_;
    std::optional<runtime::Socket> socket_{std::in_place, context_.get_executor()};
    std::shared_ptr<TestConnection> connection_;
    int peer_ = -1;
    int connection_fd_ = -1;
};

TEST_F(StreamingConnectionTest, HeadFirstThenFramesQueuedInOneTurnLeaveInOneWrite) {
    auto connection = make();
    ASSERT_TRUE(connection->open());
    connection->push(Frame::own("a"));
    connection->push(Frame::own("b"));
    connection->push(Frame::own("c"));
    std::string got;
    ASSERT_TRUE(run_until([&] { return (got += peer_read()).size() >= 6; }));
    EXPECT_EQ(got, "H<abc>");
    EXPECT_EQ(connection->writes, 1);
    ASSERT_TRUE(run_until([&] { return connection->drained == 1; }));
    connection->push(Frame::own("d"));
    ASSERT_TRUE(run_until([&] { return (got += peer_read()).size() >= 9; }));
    EXPECT_EQ(got, "H<abc><d>");
    EXPECT_EQ(connection->writes, 2);
    EXPECT_EQ(connection->state(), StreamingConnection::State::open);
}

TEST_F(StreamingConnectionTest, WhatThePeerSendsReachesTheAdapterWhileOpen) {
    auto connection = make();
    ASSERT_TRUE(connection->open());
    ASSERT_EQ(::send(peer_, "hello", 5, 0), 5);
    ASSERT_TRUE(run_until([&] { return connection->read == "hello"; }));
    connection->finish(Frame::own("bye"));
    ASSERT_EQ(::send(peer_, "late", 4, 0), 4);
    std::string got;
    ASSERT_TRUE(run_until([&] { return (got += peer_read()).find("bye") != std::string::npos; }));
    EXPECT_EQ(connection->read, "hello") << "nothing is handed on once closing";
}

TEST_F(StreamingConnectionTest, ClosingSendsTheLastFrameHalfClosesAndWaitsForThePeer) {
    auto connection = make("");
    ASSERT_TRUE(connection->open());
    connection->finish(Frame::own("bye"));
    connection->push(Frame::own("ignored"));  // nothing is queued once closing
    std::string got;
    ASSERT_TRUE(run_until([&] { return (got += peer_read()) == "<bye>" && peer_sees_end(); }));
    EXPECT_EQ(connection->state(), StreamingConnection::State::closing);
    ::shutdown(peer_, SHUT_WR);  // the peer ends too
    ASSERT_TRUE(run_until([&] { return connection->closed == 1; }));
    EXPECT_EQ(connection->state(), StreamingConnection::State::closed);
}

TEST_F(StreamingConnectionTest, APeerThatNeverReadsIsLetGoAtTheWriteStallDeadline) {
    auto connection = make("");
    shrink_buffers();
    ASSERT_TRUE(connection->open());
    connection->push(Frame::own(std::string(60 * 1024, 'x')));  // within the queue's bound
    ASSERT_TRUE(run_until([&] { return connection->closed == 1; }, 3s));
    EXPECT_EQ(metrics_.slow_consumer_closes.value(), 1u);
    std::string got;
    ASSERT_TRUE(run_until([&] {
        got += peer_read();
        return peer_sees_end();
    }));
    EXPECT_LT(got.size(), 60u * 1024) << "it was cut, not finished";
}

TEST_F(StreamingConnectionTest, APeerThatNeverReadsCannotHoldAClosingConnection) {
    settings_.write_timeout = 1h;  // only the closing deadline can end it
    auto connection = make("");
    shrink_buffers();
    connection->overflow = [&] { connection->finish(Frame::own("bye")); };
    ASSERT_TRUE(connection->open());
    for (int i = 0; i < 4; ++i)
        connection->push(Frame::own(std::string(30 * 1024, 'x')));  // past the bound: overflow
    EXPECT_EQ(connection->state(), StreamingConnection::State::closing);
    ASSERT_TRUE(run_until([&] { return connection->closed == 1; }, 3s));
    EXPECT_EQ(connection->state(), StreamingConnection::State::closed);
}

TEST_F(StreamingConnectionTest, OverflowClosesAndCountsByDefault) {
    settings_.write_timeout = 1h;
    auto connection = make("");
    shrink_buffers();
    ASSERT_TRUE(connection->open());
    for (int i = 0; i < 4; ++i)
        connection->push(Frame::own(std::string(30 * 1024, 'x')));
    EXPECT_EQ(connection->closed, 1);
    EXPECT_EQ(metrics_.slow_consumer_closes.value(), 1u);
}

TEST_F(StreamingConnectionTest, APeerThatLeavesMidWriteClosesIt) {
    settings_.write_timeout = 1h;
    auto connection = make("");
    shrink_buffers();
    ASSERT_TRUE(connection->open());
    connection->push(Frame::own(std::string(60 * 1024, 'x')));
    ASSERT_TRUE(run_until([&] { return connection->writing(); }));  // in flight, stalled
    ::close(std::exchange(peer_, -1));
    ASSERT_TRUE(run_until([&] { return connection->closed == 1; }));
    EXPECT_EQ(connection->state(), StreamingConnection::State::closed);
    EXPECT_EQ(metrics_.slow_consumer_closes.value(), 0u);
}

TEST_F(StreamingConnectionTest, ServerShutdownEndsItAndNothingOpensAfter) {
    auto connection = make();
    ASSERT_TRUE(connection->open());
    services_.ticker.stop();
    EXPECT_EQ(connection->closed, 1);
    auto late = make();
    EXPECT_FALSE(late->open()) << "the ticker is stopped: the server is going away";
    EXPECT_EQ(late->closed, 1);
}

}  // namespace
}  // namespace herald::transport

#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "storage/redis/redis_errc.hpp"
#include "storage/redis/redis_reply.hpp"
#include "storage/redis/redis_resp.hpp"
#include "storage/redis/redis_url.hpp"
#include "util/sizes.hpp"

namespace herald::storage::redis {

namespace net = boost::asio;
using tcp = net::ip::tcp;
/// An io_context's own executor type, as runtime's sockets use, rather than any_io_executor:
/// copying the type-erased executor measured 3-5% of a shard's CPU there.
using Executor = net::io_context::executor_type;

/// Settings of one connection; each default says why.
struct RedisConnectionOptions {
    std::string user{};      // empty: AUTH with the password only (the default user)
    std::string password{};  // empty: no AUTH
    int db = 0;              // not 0: SELECT it after connecting
    // Bounds connecting (resolve, TCP, AUTH, SELECT) and each reply, counted from when its
    // command was issued. Redis answers in well under a millisecond: 2 s without a reply is a
    // dead server or a partition, and callers should get their 503 now, not after TCP's
    // retransmissions give up minutes later.
    std::chrono::milliseconds timeout{2000};
    // A backlog this deep means Redis cannot keep up; failing fast (`overloaded`) beats
    // growing memory without bound while every caller waits for the timeout anyway.
    std::size_t max_pending = 64 * kKiB;
};

/// The credentials and db of `url` with the default bounds.
RedisConnectionOptions connection_options(const RedisUrl& url);

/// What a subscriber connection receives without asking.
enum class PushKind {
    message,       // a PUBLISH to a channel of SUBSCRIBE
    smessage,      // an SPUBLISH to a shard channel of SSUBSCRIBE
    unsubscribed,  // the server dropped a subscription by itself (a cluster slot moved away)
};

using ReplyHandler = std::function<void(boost::system::error_code ec, RedisReply reply)>;
using ConnectHandler = std::function<void(boost::system::error_code ec)>;
using CloseHandler = std::function<void(boost::system::error_code ec)>;
using PushHandler = std::function<void(PushKind kind, std::string channel, std::string payload)>;

/// One connection to one Redis server over our own socket on the caller's io_context: hiredis
/// only parses replies and formats commands. No thread, no blocking call; "localhost" and
/// numeric hosts need no lookup, other names go through Asio's resolver (its one internal
/// thread runs getaddrinfo, the loop never waits for it).
///
/// Commands are pipelined: each is queued at once, everything queued while no write is in
/// flight leaves in one write on the next loop turn (and what queues during a write leaves in
/// the next one), and replies complete the commands in FIFO order. Handlers run on the
/// executor, never inside `connect`, `command` or `close` themselves, and only once the
/// connection's state is consistent again: a handler may issue commands or close it.
///
/// Every handler runs exactly once. `ec` is set only when no reply came: a failure closes the
/// connection and gives every pending command the same error (RedisErrc: `timeout` when the
/// oldest reply is `timeout` late, `connection_lost` on a socket error or end of stream,
/// `protocol_error`; while connecting, the resolve or connect error, `auth_failed`,
/// `select_failed`), after `on_close`. A server error (`-ERR`) is a reply of kind error with
/// no `ec`. A command on a closed connection gets `not_connected`, `overloaded` past
/// `max_pending`. Commands issued before the connection is ready wait for it (connecting has
/// its own deadline; theirs starts once it is ready) and leave after AUTH and SELECT.
///
/// Subscriber mode: once the first (s)(un)subscribe is the oldest command awaiting a reply, the
/// connection is a pub/sub one for good. From then on `message`/`smessage` arrays are pushes
/// for `on_push`, never replies, and subscription confirmations complete the (un)subscribe
/// that asked for them (an unsubscribe nobody asked for is a push: `unsubscribed`). Replies to
/// commands before that, and on a connection never subscribed, are replies whatever their
/// first element. A subscriber connection carries
/// only (s)(un)subscribe and PING (RESP2: Redis refuses the rest in that mode). Nothing probes
/// an idle connection: a subscriber's owner should PING it now and then to find a silent
/// partition within `timeout`.
///
/// No reconnection: a closed connection stays closed (RedisClient reconnects).
/// Thread: its executor's only. Owned by its owner and its pending operations
/// (shared_from_this): an open connection lives until `close`, or until the server leaves.
class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
public:
    RedisConnection(const Executor& executor, RedisEndpoint endpoint,
                    RedisConnectionOptions options);
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    /// Connects, then AUTH and SELECT as the options ask; `done` once it is ready or failed.
    /// Once only: a second call gets `already_started`.
    void connect(ConnectHandler done);
    /// Sends `args` (not empty: the verb, then arguments of any bytes); `done` gets the reply.
    void command(std::vector<std::string> args, ReplyHandler done);

    /// (S)(UN)SUBSCRIBE `channels` (not empty). `done` gets an array of the server's
    /// confirmations, one per channel, or an error reply (a sharded subscribe across slots).
    void subscribe(std::vector<std::string> channels, ReplyHandler done);
    void unsubscribe(std::vector<std::string> channels, ReplyHandler done);
    void ssubscribe(std::vector<std::string> channels, ReplyHandler done);
    void sunsubscribe(std::vector<std::string> channels, ReplyHandler done);
    /// Receives pushes in the order the server sent them, interleaved with replies as they
    /// came. Set it before subscribing.
    void on_push(PushHandler handler) { push_handler_ = std::move(handler); }
    /// Runs once when the connection closes, whatever the cause (`close` included:
    /// `operation_aborted`), before pending handlers get their error.
    void on_close(CloseHandler handler) { close_handler_ = std::move(handler); }

    /// Closes the socket; pending handlers get `operation_aborted` on a later turn. Idempotent.
    void close();

    /// Connected, AUTH and SELECT done, not closed.
    bool is_open() const { return state_ == State::ready; }
    bool is_closed() const { return state_ == State::closed; }
    const RedisEndpoint& endpoint() const { return endpoint_; }
    /// Commands issued and not yet answered.
    std::size_t pending() const { return awaiting_.size(); }
    /// Bytes of commands queued or being written.
    std::size_t unwritten_bytes() const { return outgoing_.size() + in_flight_.size(); }
    /// Writes started so far (handshake included): how well commands coalesce.
    std::uint64_t writes() const { return writes_; }

private:
    using Clock = std::chrono::steady_clock;
    using Socket = net::basic_stream_socket<tcp, Executor>;
    using Resolver = net::ip::basic_resolver<tcp, Executor>;
    using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, Executor>;

    enum class State { idle, connecting, handshaking, ready, closed };

    /// The confirmations an (un)subscribe waits for: one per channel named.
    struct Confirmations {
        std::string kind;                   // as the server names it: "ssubscribe", ...
        std::vector<std::string> channels;  // as sent; Redis confirms them in this order
        std::vector<RedisReply> replies;    // the confirmations so far
    };
    /// A command awaiting its reply.
    struct Pending {
        ReplyHandler done;
        Clock::time_point deadline;
        std::unique_ptr<Confirmations> confirmations;  // (un)subscribe only
    };
    /// A handler call owed, made once the state is consistent again (`deliver`).
    struct Owed {
        ReplyHandler done;
        boost::system::error_code ec;
        RedisReply reply;
        bool is_push = false;  // `reply` is a push for the push handler, `done` is empty
    };
    using OwedList = std::vector<Owed>;

    // redis_connection.cpp: connecting, writing, the deadline, failing.
    void on_resolve(boost::system::error_code ec, const Resolver::results_type& results);
    void do_connect(const std::vector<tcp::endpoint>& endpoints);
    void on_connect(boost::system::error_code ec);
    void on_handshake_reply(const RedisReply& reply, OwedList& owed);
    void become_ready(OwedList& owed);
    void enqueue(Pending pending);
    void schedule_flush();
    void do_flush();
    void start_write();
    void on_write(boost::system::error_code ec);
    void arm_timer(Clock::time_point at);
    void on_timer();
    void fail(boost::system::error_code ec, std::string_view what, OwedList& owed);
    void fail_now(boost::system::error_code ec, std::string_view what);
    void deliver(OwedList& owed);
    void post_error(ReplyHandler done, boost::system::error_code ec);
    // redis_connection_read.cpp: replies and pushes.
    void do_read();
    void on_read(boost::system::error_code ec, std::size_t bytes);
    void route(RedisReply reply, OwedList& owed);
    bool route_pubsub(RedisReply& reply, OwedList& owed);
    void pubsub(std::string_view verb, std::string_view kind, std::vector<std::string> channels,
                ReplyHandler done);
    void deliver_push(const PushHandler& handler, RedisReply push);

    Socket socket_;
    Resolver resolver_;
    Timer timer_;
    const RedisEndpoint endpoint_;
    const RedisConnectionOptions options_;
    State state_ = State::idle;
    ConnectHandler connect_handler_;
    CloseHandler close_handler_;
    PushHandler push_handler_;
    Clock::time_point connect_deadline_;
    int handshake_replies_ = 0;  // AUTH and SELECT replies still due
    // Set once the first (un)subscribe is the oldest command: every reply before it belonged
    // to an ordinary command, and from then on an array may be a push.
    bool subscriber_ = false;
    bool timer_armed_ = false;
    bool flush_scheduled_ = false;
    bool writing_ = false;
    std::uint64_t writes_ = 0;
    std::string outgoing_;   // commands queued since the last write started
    std::string in_flight_;  // the bytes of the write in flight
    std::deque<Pending> awaiting_;
    RespReader reader_;
    // Few connections per shard, so a fixed buffer costs little; hiredis keeps its own copy of
    // a reply split over reads and frees it past 16 KiB once the reply is taken.
    std::array<char, 16 * kKiB> read_buffer_;
};

}  // namespace herald::storage::redis

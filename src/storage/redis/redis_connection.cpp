#include "storage/redis/redis_connection.hpp"

#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace herald::storage::redis {

namespace {

// A write buffer up to this size is kept for the next write; a larger one (a 1 MB SET) is freed.
constexpr std::size_t kKeptWriteBuffer = 64 * kKiB;

/// The address of a numeric host, or of "localhost": those need no lookup.
std::optional<net::ip::address> literal_address(const std::string& host) {
    // Redis binds 127.0.0.1 by default, and "localhost" is that in every hosts file we run on.
    if (host == "localhost") return net::ip::address_v4::loopback();
    boost::system::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (ec) return std::nullopt;
    return address;
}

}  // namespace

RedisConnectionOptions connection_options(const RedisUrl& url) {
    RedisConnectionOptions options;
    options.user = url.user;
    options.password = url.password;
    options.db = url.db;
    return options;
}

RedisConnection::RedisConnection(const Executor& executor, RedisEndpoint endpoint,
                                 RedisConnectionOptions options)
    : socket_(executor),
      resolver_(executor),
      timer_(executor),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)) {}

void RedisConnection::connect(ConnectHandler done) {
    if (state_ != State::idle) {
        net::post(socket_.get_executor(), [done = std::move(done)] {
            if (done) done(net::error::already_started);
        });
        return;
    }
    connect_handler_ = std::move(done);
    state_ = State::connecting;
    connect_deadline_ = Clock::now() + options_.timeout;
    if (!timer_armed_) arm_timer(connect_deadline_);
    if (const auto address = literal_address(endpoint_.host)) {
        return do_connect({tcp::endpoint(*address, endpoint_.port)});
    }
    resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                            [self = shared_from_this()](boost::system::error_code ec,
                                                        const Resolver::results_type& results) {
                                self->on_resolve(ec, results);
                            });
}

void RedisConnection::on_resolve(boost::system::error_code ec,
                                 const Resolver::results_type& results) {
    if (state_ != State::connecting) return;  // closed meanwhile
    if (ec) return fail_now(ec, "resolve failed: " + ec.message());
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) {
        endpoints.push_back(entry.endpoint());
    }
    do_connect(endpoints);
}

void RedisConnection::do_connect(const std::vector<tcp::endpoint>& endpoints) {
    net::async_connect(socket_, endpoints,  // copies the list
                       [self = shared_from_this()](boost::system::error_code ec,
                                                   const tcp::endpoint&) { self->on_connect(ec); });
}

void RedisConnection::on_connect(boost::system::error_code ec) {
    if (state_ != State::connecting) return;
    if (ec) return fail_now(ec, "connect failed: " + ec.message());
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);  // a pipeline's tail must not wait for Nagle
    std::string hello;
    if (!options_.password.empty()) {
        std::vector<std::string> args;
        if (!options_.user.empty()) args.push_back(options_.user);
        args.push_back(options_.password);
        append_command(hello, "AUTH", args);
        ++handshake_replies_;
    }
    if (options_.db != 0) {
        const std::string db = std::to_string(options_.db);
        append_command(hello, "SELECT", std::span(&db, 1));
        ++handshake_replies_;
    }
    do_read();
    if (handshake_replies_ == 0) {
        OwedList owed;
        become_ready(owed);
        return deliver(owed);
    }
    // Commands queued meanwhile stay in `outgoing_` until AUTH is through: they would only
    // earn NOAUTH errors before it.
    state_ = State::handshaking;
    in_flight_ = std::move(hello);
    start_write();
}

void RedisConnection::on_handshake_reply(const RedisReply& reply, OwedList& owed) {
    --handshake_replies_;
    if (reply.is_error()) {
        // AUTH, when sent, is first; SELECT, when sent, is last.
        const bool select = options_.db != 0 && handshake_replies_ == 0;
        return fail(select ? RedisErrc::select_failed : RedisErrc::auth_failed,
                    (select ? "SELECT refused: " : "AUTH refused: ") + reply.text(), owed);
    }
    if (handshake_replies_ == 0) become_ready(owed);
}

void RedisConnection::become_ready(OwedList& owed) {
    state_ = State::ready;
    // Nothing queued so far was sent: each one's wait for a reply starts now.
    const auto deadline = Clock::now() + options_.timeout;
    for (auto& pending : awaiting_) {
        pending.deadline = deadline;
    }
    if (connect_handler_) {
        Owed connected;
        connected.done = [done = std::move(connect_handler_)](boost::system::error_code ec,
                                                              const RedisReply&) { done(ec); };
        owed.push_back(std::move(connected));
        connect_handler_ = nullptr;
    }
    do_flush();
}

void RedisConnection::command(std::vector<std::string> args, ReplyHandler done) {
    if (args.empty()) {
        return post_error(std::move(done), make_error_code(boost::system::errc::invalid_argument));
    }
    if (state_ == State::closed) return post_error(std::move(done), RedisErrc::not_connected);
    if (awaiting_.size() >= options_.max_pending) {
        return post_error(std::move(done), RedisErrc::overloaded);
    }
    append_command(outgoing_, {}, args);
    enqueue({std::move(done), Clock::now() + options_.timeout, nullptr});
}

void RedisConnection::enqueue(Pending pending) {
    if (!timer_armed_) arm_timer(pending.deadline);
    awaiting_.push_back(std::move(pending));
    schedule_flush();
}

void RedisConnection::schedule_flush() {
    if (state_ != State::ready || writing_ || flush_scheduled_) return;
    // After this turn: whatever else is issued in it leaves in the same write.
    flush_scheduled_ = true;
    net::post(socket_.get_executor(), [self = shared_from_this()] { self->do_flush(); });
}

void RedisConnection::do_flush() {
    flush_scheduled_ = false;
    if (state_ != State::ready || writing_ || outgoing_.empty()) return;
    in_flight_.swap(outgoing_);  // in_flight_ was empty: outgoing_ keeps its old capacity
    start_write();
}

void RedisConnection::start_write() {
    writing_ = true;
    ++writes_;
    net::async_write(socket_, net::buffer(in_flight_),
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                         self->on_write(ec);
                     });
}

void RedisConnection::on_write(boost::system::error_code ec) {
    writing_ = false;
    if (in_flight_.capacity() > kKeptWriteBuffer) {
        std::string().swap(in_flight_);
    } else {
        in_flight_.clear();
    }
    if (state_ == State::closed) return;
    if (ec) return fail_now(RedisErrc::connection_lost, "write failed: " + ec.message());
    do_flush();  // what queued during the write leaves now, together
}

void RedisConnection::arm_timer(Clock::time_point at) {
    timer_armed_ = true;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code) { self->on_timer(); });
}

void RedisConnection::on_timer() {
    // One timer for the oldest deadline only: a reply that comes in time does not touch it;
    // when it fires early it moves on to the deadline that is oldest now.
    timer_armed_ = false;
    if (state_ == State::closed) return;
    const bool connecting = state_ == State::connecting || state_ == State::handshaking;
    if (!connecting && awaiting_.empty()) return;  // the next command arms it again
    const auto due = connecting ? connect_deadline_ : awaiting_.front().deadline;
    if (Clock::now() < due) return arm_timer(due);
    fail_now(RedisErrc::timeout,
             fmt::format("{} within {} ms", connecting ? "not ready" : "no reply",
                         options_.timeout.count()));
}

void RedisConnection::close() {
    if (state_ == State::closed) return;
    OwedList owed;
    fail(net::error::operation_aborted, "closed", owed);
    if (owed.empty()) return;
    // Never inside close(): its caller may be in the middle of its own state change.
    net::post(socket_.get_executor(), [owed = std::move(owed)]() mutable {
        for (auto& call : owed) {
            if (call.done) call.done(call.ec, std::move(call.reply));
        }
    });
}

void RedisConnection::fail(boost::system::error_code ec, std::string_view what, OwedList& owed) {
    if (state_ == State::closed) return;
    if (ec != net::error::operation_aborted) {
        // Failing to connect is the owner's to report (RedisClient logs it once per outage);
        // losing a connection that worked is news.
        const bool was_connected = state_ == State::handshaking || state_ == State::ready;
        spdlog::log(was_connected ? spdlog::level::warn : spdlog::level::debug,
                    "redis {}: {}; closing, {} command(s) get \"{}\"", to_string(endpoint_), what,
                    awaiting_.size(), ec.message());
    }
    state_ = State::closed;
    boost::system::error_code ignored;
    resolver_.cancel();
    timer_.cancel();
    socket_.close(ignored);
    outgoing_.clear();
    // The state is final before anyone hears of it; `deliver` makes the calls afterwards.
    auto call_with_ec = [](auto handler) {
        return [handler = std::move(handler)](boost::system::error_code ec, const RedisReply&) {
            handler(ec);
        };
    };
    if (close_handler_) owed.push_back({call_with_ec(std::move(close_handler_)), ec, {}});
    if (connect_handler_) owed.push_back({call_with_ec(std::move(connect_handler_)), ec, {}});
    close_handler_ = nullptr;
    connect_handler_ = nullptr;
    for (auto& pending : awaiting_) {
        owed.push_back({std::move(pending.done), ec, {}});
    }
    awaiting_.clear();
}

void RedisConnection::fail_now(boost::system::error_code ec, std::string_view what) {
    OwedList owed;
    fail(ec, what, owed);
    deliver(owed);
}

void RedisConnection::deliver(OwedList& owed) {
    PushHandler on_push;  // copied at the first push: a handler may set another meanwhile
    for (auto& call : owed) {
        if (call.is_push) {
            if (!on_push) on_push = push_handler_;
            deliver_push(on_push, std::move(call.reply));
        } else if (call.done) {
            call.done(call.ec, std::move(call.reply));
        }
    }
}

void RedisConnection::post_error(ReplyHandler done, boost::system::error_code ec) {
    net::post(socket_.get_executor(), [done = std::move(done), ec] {
        if (done) done(ec, RedisReply{});
    });
}

}  // namespace herald::storage::redis

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/redis/redis_connection.hpp"
#include "storage/redis/redis_url.hpp"
#include "util/metrics.hpp"
#include "util/sizes.hpp"

namespace herald::storage::redis {

/// What clients count for /metrics; one set may be shared by several clients. Thread: any.
struct RedisClientStats {
    Counter commands;         // sent through `command`: round trips, pipelined or not
    Counter failed_commands;  // answered by an error of the connection, not by Redis
    Counter reconnects;       // connected again after having been up
    Histogram latency;        // `command` to its reply, seconds
};

/// Bounds of a RedisClient; each default says why.
struct RedisClientOptions {
    RedisClientStats* stats = nullptr;        // counted there when set; outlives the client
    std::chrono::milliseconds timeout{2000};  // RedisConnectionOptions::timeout
    std::size_t max_pending = 64 * kKiB;      // RedisConnectionOptions::max_pending
    // A restarting Redis is back within a few hundred ms: try soon, then less often, so a long
    // outage costs a connect attempt every 2 s and recovery waits at most that long after it.
    std::chrono::milliseconds first_backoff{50};
    std::chrono::milliseconds max_backoff{2000};
};

/// One Redis connection kept up: it reconnects after any failure, waiting `first_backoff`, then
/// twice as long after each failed attempt up to `max_backoff` (reset once connected), trying
/// the URL's seeds in turn. `on_state` hears each change, up and down.
///
/// Fail fast: while down, `command` fails at once (`not_connected`, on the next loop turn,
/// never inside the call) rather than waiting for the reconnect, so a request that needs Redis
/// can be answered 503 now. Commands in flight when the connection breaks get its error
/// (`connection_lost`, `timeout`); none is retried, since it may have run.
///
/// Subscriptions die with a connection: a subscriber subscribes again on each `on_state(true)`,
/// through `connection()`, and reads anything the gap made it miss (docs/ARCHITECTURE.md).
/// Thread: its executor's only; create and destroy it there (or while the loop is not running).
/// Owned by its creator through a shared_ptr: callbacks hold it weakly, so dropping it closes
/// the connection and stops reconnecting.
class RedisClient : public std::enable_shared_from_this<RedisClient> {
public:
    using StateHandler = std::function<void(bool up)>;

    RedisClient(const Executor& executor, RedisUrl url, RedisClientOptions options = {});
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    /// Set these before `start`. `on_push` goes onto every connection the client makes.
    void on_state(StateHandler handler) { state_handler_ = std::move(handler); }
    void on_push(PushHandler handler) { push_handler_ = std::move(handler); }

    /// Connects; from then on keeps connected until `stop`.
    void start();
    /// Closes the connection and stops reconnecting; idempotent. `on_state` is not called.
    void stop();

    bool up() const { return up_; }
    /// Sends on the live connection; while down, `done` gets `not_connected` at once.
    void command(std::vector<std::string> args, ReplyHandler done);
    /// The live connection while up, null while down: for pub/sub.
    std::shared_ptr<RedisConnection> connection() const { return up_ ? connection_ : nullptr; }

private:
    using Timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                            net::wait_traits<std::chrono::steady_clock>, Executor>;

    void attempt();
    void on_connected(std::uint64_t attempt, boost::system::error_code ec);
    void on_closed(std::uint64_t attempt, boost::system::error_code ec);
    void retry_later();

    Executor executor_;
    const RedisUrl url_;
    const RedisClientOptions options_;
    Timer backoff_timer_;
    StateHandler state_handler_;
    PushHandler push_handler_;
    std::shared_ptr<RedisConnection> connection_;
    std::uint64_t attempt_ = 0;  // tells a stale connection's callbacks from the current one's
    std::size_t next_seed_ = 0;
    std::chrono::milliseconds backoff_;
    int failed_attempts_ = 0;  // since the last time up: only the first is logged as a warning
    bool ever_up_ = false;
    bool started_ = false;
    bool stopped_ = false;
    bool up_ = false;
};

}  // namespace herald::storage::redis

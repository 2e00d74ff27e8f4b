#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "storage/redis/redis_client.hpp"

namespace herald::storage::redis {

/// The Lua scripts of RedisLog (their sources and contracts: redis_log_scripts.cpp).
enum class LogScript : std::size_t {
    append,  // a batch of one partition: dedupe, seq, XADD, trim, index, SPUBLISH
    read,    // a channel's position and messages after a cursor, trimmed by age first
    list,    // the channels of one partition with a name prefix, and their positions
};
inline constexpr std::size_t kLogScripts = 3;

/// The Lua source of `script` (redis_log_lua.cpp).
std::string_view lua_source(LogScript script);

/// Adds a script's keys, then its arguments, to the EVALSHA being built.
using ScriptArgs = std::function<void(std::vector<std::string>& command)>;

/// Runs the log's scripts on its command connection. Each is loaded with SCRIPT LOAD, first
/// thing on every new connection, and run with EVALSHA; until its sha is known (the load is
/// in flight) with EVAL, which loads it too. A NOSCRIPT answer (SCRIPT FLUSH, a failover to a
/// server that never saw it) loads it again and runs it once more: NOSCRIPT means it did not run.
///
/// Start-up grace: from `start` until `open` (RedisLog calls it once the connection is up and
/// the fan-out subscribed), or `grace` passed, commands wait instead of being sent, so that a
/// log opened a moment ago neither fails its first requests nor commits before it can hear its
/// commits. After that, a command while down fails at once (RedisClient).
/// Thread: the redis thread only.
class ScriptRunner {
public:
    ScriptRunner(RedisClient& client, const Executor& executor, std::chrono::milliseconds grace);

    void start();
    /// The command connection is (again) up: loads the scripts.
    void on_up();
    /// Ends the start-up grace: sends what waited. Idempotent.
    void open();
    /// Fails what waits (`operation_aborted`); idempotent.
    void stop();

    /// Runs `script` with `keys` keys; `args` adds keys and arguments, and is called again for
    /// a retry after NOSCRIPT (so it must still be valid until `done` runs).
    void run(LogScript script, std::size_t keys, ScriptArgs args, ReplyHandler done);
    /// A plain command, with the same start-up grace.
    void command(std::vector<std::string> args, ReplyHandler done);

private:
    struct Script {
        std::string_view name;
        std::string_view source;
        std::string sha;  // empty until SCRIPT LOAD answered
    };
    struct Waiting {
        std::vector<std::string> command;
        ReplyHandler done;
    };

    void load(LogScript script);
    std::vector<std::string> build(LogScript script, std::size_t keys, const ScriptArgs& args);

    RedisClient& client_;
    boost::asio::steady_timer grace_timer_;
    std::chrono::milliseconds grace_;
    std::array<Script, kLogScripts> scripts_;
    std::vector<Waiting> waiting_;  // during the start-up grace only
    bool starting_ = false;
};

}  // namespace herald::storage::redis

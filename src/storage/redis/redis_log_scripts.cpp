#include "storage/redis/redis_log_scripts.hpp"

#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

namespace herald::storage::redis {

ScriptRunner::ScriptRunner(RedisClient& client, const Executor& executor,
                           std::chrono::milliseconds grace)
    : client_(client),
      grace_timer_(executor),
      grace_(grace),
      scripts_{Script{"append", lua_source(LogScript::append), {}},
               Script{"read", lua_source(LogScript::read), {}},
               Script{"list", lua_source(LogScript::list), {}}} {}

void ScriptRunner::start() {
    starting_ = true;
    grace_timer_.expires_after(grace_);
    grace_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) open();
    });
}

void ScriptRunner::on_up() {
    // First on the new connection: every EVALSHA after these finds its script loaded.
    for (std::size_t i = 0; i < kLogScripts; ++i) {
        load(static_cast<LogScript>(i));
    }
}

void ScriptRunner::stop() {
    grace_timer_.cancel();
    starting_ = false;
    for (Waiting& waiting : std::exchange(waiting_, {})) {
        waiting.done(boost::asio::error::operation_aborted, RedisReply{});
    }
}

void ScriptRunner::open() {
    // Up: these go out now. Grace over while down: they fail with `not_connected`.
    grace_timer_.cancel();
    starting_ = false;
    for (Waiting& waiting : std::exchange(waiting_, {})) {
        client_.command(std::move(waiting.command), std::move(waiting.done));
    }
}

void ScriptRunner::load(LogScript script) {
    Script& loaded = scripts_[static_cast<std::size_t>(script)];
    client_.command({"SCRIPT", "LOAD", std::string(loaded.source)},
                    [&loaded](boost::system::error_code ec, RedisReply reply) {
                        if (ec) return;  // the connection failed: loaded on the next one
                        if (!reply.is_string()) {
                            spdlog::error("redis: SCRIPT LOAD of the {} script failed: {}",
                                          loaded.name, to_string(reply));
                            return;
                        }
                        loaded.sha = reply.take_text();
                    });
}

std::vector<std::string> ScriptRunner::build(LogScript script, std::size_t keys,
                                             const ScriptArgs& args) {
    const Script& chosen = scripts_[static_cast<std::size_t>(script)];
    std::vector<std::string> command;
    if (chosen.sha.empty()) {
        command = {"EVAL", std::string(chosen.source), std::to_string(keys)};
    } else {
        command = {"EVALSHA", chosen.sha, std::to_string(keys)};
    }
    args(command);
    return command;
}

void ScriptRunner::run(LogScript script, std::size_t keys, ScriptArgs args, ReplyHandler done) {
    auto command_args = build(script, keys, args);
    if (command_args.front() == "EVAL") return command(std::move(command_args), std::move(done));
    command(std::move(command_args),
            [this, script, keys, args = std::move(args), done = std::move(done)](
                    boost::system::error_code ec, RedisReply reply) mutable {
                if (ec || !reply.is_error() || !reply.text().starts_with("NOSCRIPT")) {
                    return done(ec, std::move(reply));
                }
                const Script& lost = scripts_[static_cast<std::size_t>(script)];
                spdlog::warn("redis: the {} script is not loaded on the server; loading it again",
                             lost.name);
                load(script);  // ahead of the retry on the same connection
                command(build(script, keys, args), std::move(done));
            });
}

void ScriptRunner::command(std::vector<std::string> args, ReplyHandler done) {
    if (starting_) {
        waiting_.push_back(Waiting{std::move(args), std::move(done)});
        return;
    }
    client_.command(std::move(args), std::move(done));
}

}  // namespace herald::storage::redis

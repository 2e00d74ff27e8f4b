#include "storage/redis/redis_client.hpp"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace herald::storage::redis {

RedisClient::RedisClient(const Executor& executor, RedisUrl url, RedisClientOptions options)
    : executor_(executor),
      url_(std::move(url)),
      options_(options),
      backoff_timer_(executor),
      backoff_(options.first_backoff) {}

RedisClient::~RedisClient() {
    // Callbacks hold the client weakly: the pending ones find it gone and do nothing.
    if (connection_) connection_->close();
}

void RedisClient::start() {
    if (std::exchange(started_, true) || stopped_) return;
    attempt();
}

void RedisClient::stop() {
    if (std::exchange(stopped_, true)) return;
    up_ = false;
    backoff_timer_.cancel();
    if (connection_) connection_->close();
    connection_ = nullptr;
}

void RedisClient::command(std::vector<std::string> args, ReplyHandler done) {
    if (up_ && options_.stats != nullptr) {
        RedisClientStats& stats = *options_.stats;
        stats.commands.inc();
        const auto sent = std::chrono::steady_clock::now();
        return connection_->command(std::move(args), [&stats, sent, done = std::move(done)](
                                                             boost::system::error_code ec,
                                                             const RedisReply& reply) {
            if (ec) stats.failed_commands.inc();
            stats.latency.observe(
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count());
            if (done) done(ec, reply);
        });
    }
    if (up_) return connection_->command(std::move(args), std::move(done));
    net::post(executor_, [done = std::move(done)] {
        if (done) done(RedisErrc::not_connected, RedisReply{});
    });
}

void RedisClient::attempt() {
    const std::uint64_t attempt = ++attempt_;
    RedisConnectionOptions options = connection_options(url_);
    options.timeout = options_.timeout;
    options.max_pending = options_.max_pending;
    const RedisEndpoint& seed = url_.seeds[next_seed_ % url_.seeds.size()];
    connection_ = std::make_shared<RedisConnection>(executor_, seed, std::move(options));
    connection_->on_push(push_handler_);
    std::weak_ptr<RedisClient> weak = weak_from_this();
    connection_->on_close([weak, attempt](boost::system::error_code ec) {
        if (auto self = weak.lock()) self->on_closed(attempt, ec);
    });
    connection_->connect([weak, attempt](boost::system::error_code ec) {
        if (auto self = weak.lock()) self->on_connected(attempt, ec);
    });
}

void RedisClient::on_connected(std::uint64_t attempt, boost::system::error_code ec) {
    if (stopped_ || attempt != attempt_) return;
    const std::string where = to_string(url_.seeds[next_seed_ % url_.seeds.size()]);
    if (ec) {
        // One warning per outage; the attempts after it repeat the same news.
        spdlog::log(failed_attempts_++ == 0 ? spdlog::level::warn : spdlog::level::debug,
                    "redis: cannot connect to {}: {}; retrying in {} ms", where, ec.message(),
                    backoff_.count());
        ++next_seed_;
        return retry_later();
    }
    spdlog::info("redis: connected to {}", where);
    if (std::exchange(ever_up_, true) && options_.stats != nullptr)
        options_.stats->reconnects.inc();
    up_ = true;
    failed_attempts_ = 0;
    backoff_ = options_.first_backoff;
    if (state_handler_) state_handler_(true);
}

void RedisClient::on_closed(std::uint64_t attempt, boost::system::error_code ec) {
    // A failed connect ends in on_connected, which retries: only a connection that was up
    // counts as going down here.
    if (stopped_ || attempt != attempt_ || !up_) return;
    up_ = false;
    spdlog::warn("redis: down ({}); reconnecting in {} ms", ec.message(), backoff_.count());
    if (state_handler_) state_handler_(false);
    retry_later();
}

void RedisClient::retry_later() {
    backoff_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    backoff_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->stopped_) return;
        self->attempt();
    });
}

}  // namespace herald::storage::redis

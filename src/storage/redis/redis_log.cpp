#include "storage/redis/redis_log.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "storage/redis/redis_log_appender.hpp"
#include "storage/redis/redis_log_reader.hpp"
#include "storage/redis/redis_log_scripts.hpp"

namespace herald::storage::redis {

namespace net = boost::asio;

namespace {

// A silent subscriber connection is found within this plus the timeout (FanoutTracker).
std::chrono::milliseconds keepalive_interval(std::chrono::milliseconds timeout) {
    return std::clamp(timeout / 2, std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
}

}  // namespace

RedisLog::RedisLog(RedisLogOptions options)
    : options_(std::move(options)), keys_(options_.key_prefix) {
    if (options_.key_prefix.find_first_of("{}") != std::string::npos) {
        // The first `{...}` of a key is its hash tag: the partition's must be that one.
        throw std::invalid_argument(std::string("redis key prefix must not hold '{' or '}': ")
                                            .append(options_.key_prefix));
    }
    const RedisClientOptions client{.timeout = options_.timeout};
    const Executor executor = context_.get_executor();
    commands_ = std::make_shared<RedisClient>(executor, options_.url, client);
    subscriber_ = std::make_shared<RedisClient>(executor, options_.url, client);
    scripts_ = std::make_unique<ScriptRunner>(*commands_, executor, options_.timeout);
    reader_ = std::make_unique<RedisReader>(*scripts_, keys_, options_.retention);
    tracker_ = std::make_unique<FanoutTracker>(executor, *subscriber_, *reader_, keys_,
                                               keepalive_interval(options_.timeout));
    appender_ = std::make_unique<RedisAppender>(*scripts_, keys_, options_.retention, *tracker_);
    // The start-up grace ends once this node can both commit and hear its commits.
    auto open_when_ready = [this] {
        if (commands_->up() && tracker_->subscribed()) scripts_->open();
    };
    commands_->on_state([this, open_when_ready](bool up) {
        if (!up) return;
        scripts_->on_up();
        open_when_ready();
    });
    tracker_->set_subscribed_handler(open_when_ready);
    subscriber_->on_state([this](bool up) { tracker_->on_state(up); });
    subscriber_->on_push(
            [this](PushKind kind, const std::string& channel, const std::string& payload) {
                tracker_->on_push(kind, channel, payload);
            });
    net::post(context_, [this] { start(); });
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "redis");
        context_.run();
    });
}

RedisLog::~RedisLog() {
    close();
}

void RedisLog::start() {
    spdlog::info("storage: redis {} (key prefix {}, {} partitions)",
                 to_string(options_.url.seeds.front()), options_.key_prefix, kPartitions);
    scripts_->start();
    tracker_->watch_all();
    tracker_->start();
    commands_->start();
    subscriber_->start();
}

void RedisLog::set_commit_listener(CommitListener listener) {
    // Posted like the appends after it, so it is in place before any of them commits.
    if (closed()) return;
    net::post(context_, [this, listener = std::move(listener)]() mutable {
        tracker_->set_listener(std::move(listener));
    });
}

void RedisLog::append_batch(std::vector<AppendRequest> requests, BatchCompletion done) {
    if (closed()) {
        std::vector<AppendResult> results;
        results.reserve(requests.size());
        for (const AppendRequest& request : requests) {
            results.push_back(AppendResult{AppendStatus::failed, 0, request.id, request.time});
        }
        return done(std::move(results));
    }
    net::post(context_, [this, requests = std::move(requests), done = std::move(done)]() mutable {
        appender_->append(std::move(requests), std::move(done));
    });
}

void RedisLog::read(std::string_view channel, std::optional<Seq> after, std::size_t limit,
                    ReadCompletion done) {
    if (closed()) {
        ReadResult failed;
        failed.failed = true;
        return done(std::move(failed));
    }
    net::post(context_, [this, channel = std::string(channel), after, limit,
                         done = std::move(done)]() mutable {
        reader_->read_log(channel, after, limit, std::move(done));
    });
}

void RedisLog::channel(std::string_view channel, StateCompletion done) {
    if (closed()) return done(std::nullopt);
    net::post(context_, [this, channel = std::string(channel), done = std::move(done)]() mutable {
        reader_->read(channel, std::nullopt, 0, [done = std::move(done)](TailRead&& read) {
            if (!read.ok) return done(std::nullopt);
            done(std::move(read.state));
        });
    });
}

void RedisLog::channels(std::string_view prefix, ListCompletion done) {
    if (closed()) return done(std::nullopt);
    net::post(context_, [this, prefix = std::string(prefix), done = std::move(done)]() mutable {
        reader_->list(prefix, std::move(done));
    });
}

void RedisLog::check_ready(std::function<void(bool)> done) {
    if (closed()) return done(false);
    net::post(context_, [this, done = std::move(done)]() mutable {
        if (!commands_->up() || !subscriber_->up() || !tracker_->subscribed()) return done(false);
        commands_->command({"PING"}, [done = std::move(done)](boost::system::error_code ec,
                                                              const RedisReply& reply) {
            done(!ec && reply.kind() == RedisReply::Kind::status && reply.text() == "PONG");
        });
    });
}

void RedisLog::close() {
    std::lock_guard lock(close_mutex_);
    if (!thread_.joinable()) return;
    closed_.store(true, std::memory_order_release);
    // Posted after every append already posted: those are in flight by then, and finish.
    net::post(context_, [this] { appender_->when_drained([this] { shutdown(); }); });
    thread_.join();
}

void RedisLog::shutdown() {
    tracker_->stop();
    scripts_->stop();
    commands_->stop();
    subscriber_->stop();
    // The loop runs out once the connections' last handlers (failing what was pending) ran.
    work_.reset();
}

}  // namespace herald::storage::redis

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
    const RedisClientOptions client{.stats = &client_stats_, .timeout = options_.timeout};
    const Executor executor = context_.get_executor();
    commands_ = std::make_shared<RedisClient>(executor, options_.url, client);
    subscriber_ = std::make_shared<RedisClient>(executor, options_.url, client);
    scripts_ = std::make_unique<ScriptRunner>(*commands_, executor, options_.timeout);
    reader_ = std::make_unique<RedisReader>(*scripts_, keys_, options_.retention);
    tracker_ = std::make_unique<FanoutTracker>(
            executor, *subscriber_, *reader_, keys_,
            FanoutTracker::Timing{keepalive_interval(options_.timeout), options_.timeout,
                                  options_.follow_linger});
    appender_ = std::make_unique<RedisAppender>(*scripts_, keys_, options_.retention, *tracker_);
    // The start-up grace ends once this node can both commit and hear its commits.
    auto open_when_ready = [this] {
        if (commands_->up() && tracker_->subscribed()) scripts_->open();
    };
    commands_->on_state([this, open_when_ready](bool up) {
        if (!up) return tracker_->forget_all();  // reads must not be answered from memory
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

void RedisLog::set_forget_listener(ForgetListener listener) {
    if (closed()) return;
    net::post(context_, [this, listener = std::move(listener)]() mutable {
        tracker_->set_forget_listener(std::move(listener));
    });
}

void RedisLog::set_notice_listener(std::function<void(std::string_view)> listener) {
    if (closed()) return;
    net::post(context_, [this, listener = std::move(listener)]() mutable {
        tracker_->set_notice_listener(std::move(listener));
    });
}

void RedisLog::follow(std::string_view channel, bool following) {
    if (closed()) return;
    // Posted before the read a subscriber asks next, from the same thread: in place first.
    net::post(context_, [this, channel = std::string(channel), following] {
        tracker_->follow(channel, following);
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
    auto fail = [](ReadCompletion& done) {
        ReadResult failed;
        failed.failed = true;
        done(std::move(failed));
    };
    if (closed()) return fail(done);
    net::post(context_, [this, channel = std::string(channel), after, limit, fail,
                         done = std::move(done)]() mutable {
        tracker_->when_in_place(channel, [this, channel, after, limit, fail,
                                          done = std::move(done)](bool in_place) mutable {
            if (!in_place) return fail(done);
            reader_->read_log(channel, after, limit, std::move(done));
        });
    });
}

void RedisLog::channel(std::string_view channel, StateCompletion done) {
    if (closed()) return done(std::nullopt);
    net::post(context_, [this, channel = std::string(channel), done = std::move(done)]() mutable {
        tracker_->when_in_place(channel, [this, channel,
                                          done = std::move(done)](bool in_place) mutable {
            if (!in_place) return done(std::nullopt);
            reader_->read(channel, std::nullopt, 0, [done = std::move(done)](TailRead&& read) {
                if (!read.ok) return done(std::nullopt);
                done(std::move(read.state));
            });
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

void RedisLog::render_metrics(std::string& out) const {
    const RedisLogStats fanout = stats();
    auto number = [](std::uint64_t value) { return static_cast<long long>(value); };
    add_metric(out, "herald_redis_commands_total", "counter",
               "Commands sent to Redis (publish and read scripts, pings): round trips, pipelined "
               "or not.",
               number(client_stats_.commands.value()));
    add_metric(out, "herald_redis_command_failures_total", "counter",
               "Commands that got no answer from Redis (connection lost, timeout).",
               number(client_stats_.failed_commands.value()));
    describe_metric(out, "herald_redis_command_latency_seconds", "histogram",
                    "A command sent to Redis to its reply.");
    out += client_stats_.latency.render("herald_redis_command_latency_seconds");
    add_metric(out, "herald_redis_reconnects_total", "counter",
               "Connections to Redis made again after one was lost.",
               number(client_stats_.reconnects.value()));
    add_metric(out, "herald_redis_partitions_subscribed", "gauge",
               "Partitions whose fan-out this node subscribes to: those of the channels its "
               "subscribers follow.",
               number(fanout.partitions_subscribed));
    add_metric(out, "herald_redis_fanout_messages_total", "counter",
               "Pub/sub messages received from the partitions' fan-out (one per published "
               "batch and channel).",
               number(fanout.fanout_messages));
    add_metric(out, "herald_redis_catch_up_reads_total", "counter",
               "Stream reads for what pub/sub did not bring (after a reconnect or a hole).",
               number(fanout.catch_up_reads));
    add_metric(out, "herald_redis_caught_up_messages_total", "counter",
               "Messages delivered by catch-up reads.", number(fanout.caught_up_messages));
    add_metric(out, "herald_redis_channel_resets_total", "counter",
               "Channels found restarted at seq 1: Redis lost them.", number(fanout.resets));
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

// FanoutTracker's subscriptions, keepalive and catch-up reads (the order of each channel is
// kept in redis_log_tracker.cpp).

#include "storage/redis/redis_log_fanout.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <spdlog/spdlog.h>

namespace herald::storage::redis {

namespace {

// Catch-up reads in flight at once: after a reconnect every tracked channel needs one, and
// thousands at once would only queue behind each other (and could pass the connection's
// max_pending).
constexpr std::size_t kRepairsInFlight = 32;
// A failed catch-up read is tried again after this, doubling up to the maximum while they fail.
constexpr std::chrono::milliseconds kFirstRetry{100};
constexpr std::chrono::milliseconds kMaxRetry{2000};

}  // namespace

FanoutTracker::FanoutTracker(const Executor& executor, RedisClient& subscriber, RedisReader& reader,
                             const LogKeys& keys, Timing timing)
    : subscriber_(subscriber),
      reader_(reader),
      keys_(keys),
      channels_(kPartitions),
      linger_(timing.linger),
      waiters_(kPartitions),
      timeout_(timing.timeout),
      wait_timer_(executor),
      retry_timer_(executor),
      retry_delay_(kFirstRetry),
      keepalive_timer_(executor),
      keepalive_(timing.keepalive) {}

void FanoutTracker::start() {
    schedule_keepalive();
}

void FanoutTracker::stop() {
    stopped_ = true;
    retry_timer_.cancel();
    keepalive_timer_.cancel();
    wait_timer_.cancel();
    repairs_.clear();
    retries_.clear();
    for (std::size_t partition = 0; partition < kPartitions; ++partition) {
        release_waiters(partition, false);
    }
}

void FanoutTracker::follow(const std::string& name, bool following) {
    const std::size_t partition = partition_of(name);
    if (following) {
        if (++followers_[name] == 1 && ++followed_[partition] == 1) watch(partition);
        return;
    }
    auto it = followers_.find(name);
    if (it == followers_.end()) return;  // unbalanced: nothing to undo
    if (--it->second != 0) return;
    followers_.erase(it);
    if (--followed_[partition] == 0) idle_since_[partition] = std::chrono::steady_clock::now();
}

void FanoutTracker::when_in_place(const std::string& name, std::function<void(bool)> done) {
    const std::size_t partition = partition_of(name);
    if (stopped_) return done(false);
    if (!watched_[partition] || generation_[partition] != 0) return done(true);
    waiters_[partition].push_back(
            Waiter{std::chrono::steady_clock::now() + timeout_, std::move(done)});
    ++waiting_;
    arm_wait_timer();
}

void FanoutTracker::release_waiters(std::size_t partition, bool in_place) {
    auto waiters = std::exchange(waiters_[partition], {});
    waiting_ -= waiters.size();
    for (Waiter& waiter : waiters) {
        waiter.done(in_place);
    }
}

void FanoutTracker::arm_wait_timer() {
    if (wait_armed_ || waiting_ == 0 || stopped_) return;
    wait_armed_ = true;
    // Deadlines grow in the order waiters come: each partition's first is its nearest.
    auto nearest = std::chrono::steady_clock::time_point::max();
    for (const auto& waiters : waiters_) {
        if (!waiters.empty()) nearest = std::min(nearest, waiters.front().deadline);
    }
    wait_timer_.expires_at(nearest);
    wait_timer_.async_wait([this](boost::system::error_code ec) {
        wait_armed_ = false;
        if (ec || stopped_) return;
        const auto now = std::chrono::steady_clock::now();
        for (auto& waiters : waiters_) {
            // In deadline order: the expired ones are a prefix.
            auto live = std::find_if(waiters.begin(), waiters.end(),
                                     [now](const Waiter& waiter) { return waiter.deadline > now; });
            std::vector<Waiter> expired(std::make_move_iterator(waiters.begin()),
                                        std::make_move_iterator(live));
            waiters.erase(waiters.begin(), live);
            waiting_ -= expired.size();
            for (Waiter& waiter : expired) {
                waiter.done(false);
            }
        }
        arm_wait_timer();
    });
}

void FanoutTracker::forget_all() {
    if (!forget_listener_) return;
    std::vector<std::string> names;
    for (const Channels& channels : channels_) {
        for (const auto& [name, channel] : channels) {
            names.push_back(name);
        }
    }
    if (!names.empty()) forget_listener_(std::move(names));
}

void FanoutTracker::watch(std::size_t partition) {
    if (watched_[partition]) return;
    watched_.set(partition);
    watched_count_.store(watched_.count(), std::memory_order_relaxed);
    if (subscriber_.up()) subscribe(partition);
}

void FanoutTracker::unwatch(std::size_t partition) {
    if (!watched_[partition]) return;
    watched_.reset(partition);
    watched_count_.store(watched_.count(), std::memory_order_relaxed);
    generation_[partition] = 0;
    std::vector<std::string> names;
    names.reserve(channels_[partition].size());
    for (const auto& [name, channel] : channels_[partition]) {
        names.push_back(name);
    }
    channels_[partition].clear();
    if (forget_listener_ && !names.empty()) forget_listener_(std::move(names));
    release_waiters(partition, true);  // not watched: read at once
    if (auto connection = subscriber_.connection()) {
        connection->sunsubscribe({keys_.fanout(partition)},
                                 [](boost::system::error_code, const RedisReply&) {});
    }
}

void FanoutTracker::unwatch_idle() {
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t partition = 0; partition < kPartitions; ++partition) {
        if (watched_[partition] && followed_[partition] == 0 &&
            now - idle_since_[partition] >= linger_) {
            unwatch(partition);
        }
    }
}

bool FanoutTracker::subscribed() const {
    for (std::size_t partition = 0; partition < kPartitions; ++partition) {
        if (watched_[partition] && generation_[partition] == 0) return false;
    }
    return true;
}

void FanoutTracker::on_state(bool up) {
    if (!up) {
        std::size_t tracked = 0;
        for (const Channels& channels : channels_) {
            tracked += channels.size();
        }
        generation_.fill(0);
        forget_all();
        spdlog::warn(
                "redis: fan-out connection lost; {} channel(s) will be caught up from their "
                "streams once it is back",
                tracked);
        return;
    }
    if (std::exchange(ever_up_, true)) ++subscriber_reconnects_;
    confirmations_due_ = watched_.count();
    channels_to_catch_up_ = 0;
    for (std::size_t partition = 0; partition < kPartitions; ++partition) {
        if (watched_[partition]) subscribe(partition);
    }
    if (watched_.none() && subscribed_handler_) subscribed_handler_();
}

void FanoutTracker::subscribe(std::size_t partition) {
    auto connection = subscriber_.connection();
    if (!connection) return;  // subscribed once connected
    connection->ssubscribe(
            {keys_.fanout(partition)},
            [this, partition](boost::system::error_code ec, const RedisReply& reply) {
                if (ec || stopped_) return;  // the connection failed: subscribed again once back
                if (reply.is_error()) {
                    spdlog::error("redis: SSUBSCRIBE {} refused: {}", keys_.fanout(partition),
                                  to_string(reply));
                    return;
                }
                on_subscribed(partition);
            });
}

void FanoutTracker::on_subscribed(std::size_t partition) {
    if (!watched_[partition]) return;
    generation_[partition] = ++last_generation_;
    // Whatever was pushed while unsubscribed is gone: read every tracked channel from its next
    // seq. Pushes from now on are held behind these reads where they run ahead.
    for (auto& [name, channel] : channels_[partition]) {
        if (channel.next == 0) continue;  // its own appends in flight will tell
        queue_repair(partition, name, channel);
        ++channels_to_catch_up_;
    }
    release_waiters(partition, true);
    if (subscribed_handler_ && subscribed()) subscribed_handler_();
    if (confirmations_due_ == 0 || --confirmations_due_ != 0) return;
    if (subscriber_reconnects_ > 0) {
        spdlog::warn(
                "redis: fan-out subscribed again; catching up {} channel(s) from their "
                "streams",
                channels_to_catch_up_);
    } else {
        spdlog::debug("redis: fan-out subscribed to {} partition(s)", watched_.count());
    }
}

void FanoutTracker::queue_repair(std::size_t partition, const std::string& name, Channel& channel) {
    if (channel.repair_queued) return;
    channel.repair_queued = true;
    repairs_.emplace_back(partition, name);
    pump();
}

void FanoutTracker::pump() {
    while (!stopped_ && repairs_in_flight_ < kRepairsInFlight && !repairs_.empty()) {
        auto [partition, name] = std::move(repairs_.front());
        repairs_.pop_front();
        start_repair(partition, name);
    }
}

void FanoutTracker::start_repair(std::size_t partition, const std::string& name) {
    auto it = channels_[partition].find(name);
    if (it == channels_[partition].end()) return;  // unwatched meanwhile
    Channel& channel = it->second;
    if (generation_[partition] == 0 || channel.next == 0) {
        channel.repair_queued = false;  // the next subscription reads it
        return;
    }
    channel.repair_generation = generation_[partition];
    ++repairs_in_flight_;
    ++catch_up_reads_;
    reader_.read(name, channel.next - 1, kRepairChunk, [this, partition, name](TailRead&& read) {
        on_repaired(partition, name, std::move(read));
    });
}

void FanoutTracker::on_repaired(std::size_t partition, const std::string& name, TailRead&& read) {
    --repairs_in_flight_;
    auto it = channels_[partition].find(name);
    if (stopped_ || it == channels_[partition].end()) return pump();
    Channel& channel = it->second;
    channel.repair_queued = false;
    if (!read.ok) {
        channel.repair_queued = true;  // until the retry
        retry_later(partition, name);
        return pump();
    }
    if (std::exchange(repairs_failing_, false)) spdlog::info("redis: catch-up reads work again");
    retry_delay_ = kFirstRetry;
    std::vector<StoredMessage> out;
    const bool more = apply(it->first, channel, std::move(read), out);
    deliver(channel, out);
    // Read under an older subscription: what was pushed between the two may be gone.
    if (more || has_hole(channel) || channel.repair_generation != generation_[partition]) {
        queue_repair(partition, it->first, channel);
    }
    pump();
}

void FanoutTracker::retry_later(std::size_t partition, const std::string& name) {
    if (!std::exchange(repairs_failing_, true)) {
        spdlog::warn("redis: catch-up reads fail; retrying until Redis answers");
    }
    retries_.emplace_back(partition, name);
    if (std::exchange(retry_armed_, true)) return;
    retry_timer_.expires_after(retry_delay_);
    retry_delay_ = std::min(retry_delay_ * 2, kMaxRetry);
    retry_timer_.async_wait([this](boost::system::error_code ec) {
        retry_armed_ = false;
        if (ec || stopped_) return;
        for (auto& [partition, name] : std::exchange(retries_, {})) {
            auto it = channels_[partition].find(name);
            if (it == channels_[partition].end()) continue;
            it->second.repair_queued = false;
            queue_repair(partition, it->first, it->second);
        }
    });
}

void FanoutTracker::schedule_keepalive() {
    keepalive_timer_.expires_after(keepalive_);
    keepalive_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        unwatch_idle();
        // Nothing else would notice a silent partition on an idle subscriber: a PING without
        // an answer within the timeout closes the connection, and the client reconnects.
        if (auto connection = subscriber_.connection()) {
            connection->command({"PING"}, [](boost::system::error_code, const RedisReply&) {});
        }
        schedule_keepalive();
    });
}

RedisLogStats FanoutTracker::stats() const {
    return RedisLogStats{watched_count_.load(std::memory_order_relaxed),
                         fanout_messages_.load(),
                         subscriber_reconnects_.load(),
                         catch_up_reads_.load(),
                         caught_up_messages_.load(),
                         resets_.load()};
}

}  // namespace herald::storage::redis

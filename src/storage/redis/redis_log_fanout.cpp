// FanoutTracker's subscriptions, keepalive and catch-up reads (the order of each channel is
// kept in redis_log_tracker.cpp).

#include "storage/redis/redis_log_fanout.hpp"

#include <algorithm>
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
                             const LogKeys& keys, std::chrono::milliseconds keepalive)
    : subscriber_(subscriber),
      reader_(reader),
      keys_(keys),
      channels_(kPartitions),
      retry_timer_(executor),
      retry_delay_(kFirstRetry),
      keepalive_timer_(executor),
      keepalive_(keepalive) {}

void FanoutTracker::start() {
    schedule_keepalive();
}

void FanoutTracker::stop() {
    stopped_ = true;
    retry_timer_.cancel();
    keepalive_timer_.cancel();
    repairs_.clear();
    retries_.clear();
}

void FanoutTracker::watch_all() {
    for (std::size_t partition = 0; partition < kPartitions; ++partition) {
        watch(partition);
    }
}

void FanoutTracker::watch(std::size_t partition) {
    if (watched_[partition]) return;
    watched_.set(partition);
    if (subscriber_.up()) subscribe(partition);
}

void FanoutTracker::unwatch(std::size_t partition) {
    if (!watched_[partition]) return;
    watched_.reset(partition);
    generation_[partition] = 0;
    channels_[partition].clear();
    if (auto connection = subscriber_.connection()) {
        connection->sunsubscribe({keys_.fanout(partition)},
                                 [](boost::system::error_code, const RedisReply&) {});
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
    if (subscribed_handler_ && subscribed()) subscribed_handler_();
    if (confirmations_due_ == 0 || --confirmations_due_ != 0) return;
    if (subscriber_reconnects_ > 0) {
        spdlog::warn(
                "redis: fan-out subscribed again; catching up {} channel(s) from their "
                "streams",
                channels_to_catch_up_);
    } else {
        spdlog::info("redis: fan-out subscribed to {} partition(s)", watched_.count());
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
        // Nothing else would notice a silent partition on an idle subscriber: a PING without
        // an answer within the timeout closes the connection, and the client reconnects.
        if (auto connection = subscriber_.connection()) {
            connection->command({"PING"}, [](boost::system::error_code, const RedisReply&) {});
        }
        schedule_keepalive();
    });
}

RedisLogStats FanoutTracker::stats() const {
    return RedisLogStats{subscriber_reconnects_.load(), catch_up_reads_.load(),
                         caught_up_messages_.load(), resets_.load()};
}

}  // namespace herald::storage::redis

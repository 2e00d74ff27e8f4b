#include "cluster/redis_counts.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <spdlog/spdlog.h>

#include "cluster/node_sweep.hpp"
#include "util/clock.hpp"

namespace herald::cluster {

using storage::redis::RedisReply;

namespace {

// KEYS[1]: a channel's counts hash. ARGV: node, its count. Answers 'occupied' when this write
// took the total above 0 and no one had announced it, 'empty' when it took an announced
// channel's total to 0, else ''.
constexpr const char* kSetCount = R"lua(
local announced = redis.call('HEXISTS', KEYS[1], '*') == 1
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local total = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= '*' then total = total + tonumber(all[i + 1]) end
end
if total > 0 and not announced then
  redis.call('HSET', KEYS[1], '*', '1')
  return 'occupied'
end
if total == 0 and announced then return 'empty' end
return ''
)lua";

// KEYS[1]: a channel's counts hash. 1 when it is announced occupied and still has no
// subscriber anywhere: the hash goes, and the caller announces vacated; else 0.
constexpr const char* kVacate = R"lua(
local all = redis.call('HGETALL', KEYS[1])
local total, announced = 0, false
for i = 1, #all, 2 do
  if all[i] == '*' then announced = true else total = total + tonumber(all[i + 1]) end
end
if total == 0 and announced then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua";

/// The sum of a counts hash's node fields.
std::optional<std::int64_t> total_of(const RedisReply& reply) {
    if (!reply.is_array()) return std::nullopt;
    std::int64_t total = 0;
    const auto& parts = reply.elements();
    for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
        if (parts[i].text() == "*") continue;
        const std::string& text = parts[i + 1].text();
        std::int64_t count = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
        if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
        total += count;
    }
    return total;
}

}  // namespace

RedisCounts::RedisCounts(runtime::ShardGroup& shards, runtime::ShardId shard,
                         storage::redis::RedisUrl url, storage::redis::RedisClientOptions client,
                         RedisCountsOptions options)
    : shards_(shards),
      shard_(shard),
      options_(std::move(options)),
      keys_(options_.key_prefix),
      redis_(std::make_shared<storage::redis::RedisClient>(shards[shard].executor(), std::move(url),
                                                           client)),
      sweeper_(shards, shard, *redis_, options_.key_prefix + ":{cluster}:subs:", options_.node_id,
               [this](const std::string& node, const std::string& channel,
                      std::function<void()> next) { write(node, channel, 0, std::move(next)); }),
      flush_timer_(shards[shard].executor()),
      poll_timer_(shards[shard].executor()) {
    redis_->on_state([this](bool up) {
        if (!up || stopped_) return;
        sweeper_.renote();
        // Every count again after any connection: writes made while Redis was away failed.
        // Before that, at the first, what an earlier process of this node id left.
        auto rewrite = [this] {
            for (const auto& [channel, count] : local_) {
                dirty_.insert(channel);
            }
            schedule_flush();
        };
        if (std::exchange(connected_once_, true)) return rewrite();
        sweeper_.sweep_node(options_.node_id, rewrite);
    });
}

RedisCounts::~RedisCounts() = default;

void RedisCounts::start() {
    redis_->start();
    schedule_poll();
}

void RedisCounts::changed(const std::string& channel, int delta) {
    shards_[shard_].post([this, channel, delta] {
        std::int64_t& count = local_[channel];
        count += delta;
        dirty_.insert(channel);
        schedule_flush();
    });
}

void RedisCounts::schedule_flush() {
    if (flush_armed_ || stopped_ || dirty_.empty()) return;
    flush_armed_ = true;
    flush_timer_.expires_after(kFlushInterval);
    flush_timer_.async_wait([this](boost::system::error_code ec) {
        flush_armed_ = false;
        if (!ec) flush();
    });
}

void RedisCounts::flush() {
    if (!redis_->up() || stopped_) return;  // all written again at the next connection
    for (const std::string& channel : std::exchange(dirty_, {})) {
        auto it = local_.find(channel);
        const std::int64_t count = it == local_.end() ? 0 : it->second;
        if (it != local_.end() && count <= 0) local_.erase(it);
        write(options_.node_id, channel, count, [] {});
    }
}

void RedisCounts::write(const std::string& node, const std::string& channel, std::int64_t count,
                        std::function<void()> done) {
    if (count > 0) sweeper_.note(channel);  // only this node writes a positive count of its own
    redis_->command({"EVAL", kSetCount, "1", keys_.channel_key(channel, "subs"), node,
                     std::to_string(count)},
                    [this, channel, count, done = std::move(done)](boost::system::error_code ec,
                                                                   const RedisReply& reply) {
                        if (ec || reply.is_error()) {
                            spdlog::warn("counts: {} not written: {}; again at the next connection",
                                         channel, ec ? ec.message() : reply.text());
                            return done();
                        }
                        if (reply.text() == "occupied" && occupancy_listener_) {
                            occupancy_listener_(channel, true);
                        } else if (reply.text() == "empty") {
                            schedule_vacate(channel);
                        }
                        done();
                    });
}

void RedisCounts::schedule_vacate(const std::string& channel) {
    const std::int64_t due = unix_millis() + options_.vacated_delay.count();
    redis_->command({"ZADD", vacating_key(), std::to_string(due), channel},
                    [](boost::system::error_code, const RedisReply&) {});
}

void RedisCounts::schedule_poll() {
    poll_timer_.expires_after(std::clamp(options_.vacated_delay / 4, std::chrono::milliseconds(50),
                                         std::chrono::milliseconds(1000)));
    poll_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        poll_vacating();
        schedule_poll();
    });
}

void RedisCounts::poll_vacating() {
    if (!redis_->up()) return;
    redis_->command({"ZRANGEBYSCORE", vacating_key(), "-inf", std::to_string(unix_millis()),
                     "LIMIT", "0", "100"},
                    [this](boost::system::error_code ec, const RedisReply& reply) {
                        if (ec || !reply.is_array()) return;
                        for (const RedisReply& entry : reply.elements()) {
                            const std::string channel = entry.text();
                            // ZREM answers 1 to one node only: that node checks, and announces.
                            redis_->command({"ZREM", vacating_key(), channel},
                                            [this, channel](boost::system::error_code ec,
                                                            const RedisReply& removed) {
                                                if (ec || removed.integer() != 1) return;
                                                vacate(channel);
                                            });
                        }
                    });
}

void RedisCounts::vacate(const std::string& channel) {
    redis_->command(
            {"EVAL", kVacate, "1", keys_.channel_key(channel, "subs")},
            [this, channel](boost::system::error_code ec, const RedisReply& reply) {
                if (ec || reply.kind() != RedisReply::Kind::integer || reply.integer() != 1) {
                    return;  // someone came back meanwhile
                }
                if (occupancy_listener_) occupancy_listener_(channel, false);
            });
}

std::string RedisCounts::vacating_key() const {
    return std::string(options_.key_prefix).append(":{cluster}:vacating");
}

void RedisCounts::counts(std::vector<std::string> channels,
                         std::function<void(std::optional<core::SubscriberCounts>)> done) {
    shards_[shard_].post([this, channels = std::move(channels), done = std::move(done)]() mutable {
        if (channels.empty()) return done(core::SubscriberCounts{});
        struct Gather {
            core::SubscriberCounts counts;
            std::size_t remaining = 0;
            bool failed = false;
            std::function<void(std::optional<core::SubscriberCounts>)> done;
        };
        auto gather = std::make_shared<Gather>();
        gather->remaining = channels.size();
        gather->done = std::move(done);
        for (const std::string& channel : channels) {
            redis_->command(
                    {"HGETALL", keys_.channel_key(channel, "subs")},
                    [gather, channel](boost::system::error_code ec, const RedisReply& reply) {
                        const auto total = ec ? std::nullopt : total_of(reply);
                        if (!total) gather->failed = true;
                        if (total && *total > 0) {
                            gather->counts[channel] = static_cast<std::size_t>(*total);
                        }
                        if (--gather->remaining != 0) return;
                        if (gather->failed) return gather->done(std::nullopt);
                        gather->done(std::move(gather->counts));
                    });
        }
    });
}

void RedisCounts::stop(std::function<void()> done) {
    shards_[shard_].post([this] {
        stopped_ = true;
        flush_timer_.cancel();
        poll_timer_.cancel();
    });
    sweeper_.stop(std::move(done));  // posted after: the timers are off first
}

}  // namespace herald::cluster

// FanoutTracker's order keeping: what each channel's listener gets next, and from where.

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "storage/redis/redis_log_fanout.hpp"

namespace herald::storage::redis {

namespace {

// Pushes held per channel while a hole before them is read. Past this they are not held but
// read from the stream too (`dropped_upto`): memory stays bounded whatever pub/sub does.
constexpr std::size_t kMaxAhead = 10'000;
// Epochs remembered per channel to drop their stragglers; a channel lost more often than this
// while messages were in flight is beyond caring.
constexpr std::size_t kRetiredEpochs = 4;

void warn_trimmed(const std::string& name, Seq from, Seq to) {
    spdlog::warn(
            "redis: {} seqs {}..{} were trimmed before this node delivered them; its "
            "subscribers skip them",
            name, from, to);
}

}  // namespace

void FanoutTracker::on_push(PushKind kind, const std::string& name, const std::string& payload) {
    const auto partition = keys_.partition_of_fanout(name);
    if (!partition || stopped_) return;  // not this log's
    if (kind == PushKind::unsubscribed) {
        spdlog::warn("redis: the server ended the subscription to {}; subscribing again", name);
        generation_[*partition] = 0;
        if (watched_[*partition]) subscribe(*partition);
        return;
    }
    ++fanout_messages_;
    if (is_fanout_notice(payload)) {
        if (notice_listener_ && watched_[*partition]) notice_listener_(payload);
        return;
    }
    auto batch = decode_fanout(payload);
    if (!batch || partition_of(batch->channel) != *partition) {
        // Whatever it held is read from the stream when the next push shows the hole.
        spdlog::warn("redis: an unreadable fan-out message on {} ({} bytes); ignored", name,
                     payload.size());
        return;
    }
    on_batch(*partition, std::move(*batch));
}

void FanoutTracker::on_batch(std::size_t partition, FanoutBatch&& batch) {
    if (!watched_[partition]) return;  // in flight when it was unwatched
    auto [it, fresh] = channels_[partition].try_emplace(batch.channel);
    Channel& channel = it->second;
    const Seq first = batch.messages.front().seq;
    if (fresh) {  // never seen: it starts here, nothing before it is this node's business
        channel.next = first;
        channel.epoch = batch.epoch;
    }
    if (!accept_epoch(it->first, channel, batch.epoch)) return;
    // Known only from this node's own appends so far: an earlier seq is where it starts.
    if (channel.next != 0 && !channel.delivered) channel.next = std::min(channel.next, first);
    const bool had_hole = has_hole(channel);
    std::vector<StoredMessage> out;
    for (StoredMessage& message : batch.messages) {
        take(channel, std::move(message), out);
    }
    deliver(channel, out);
    if (!has_hole(channel)) return;
    if (!had_hole && !channel.repair_queued) {
        spdlog::warn(
                "redis: fan-out of {} skipped to seq {} from {}; reading the rest from its "
                "stream",
                it->first, channel.ahead.empty() ? first : channel.ahead.begin()->first,
                channel.next);
    }
    queue_repair(partition, it->first, channel);
}

bool FanoutTracker::accept_epoch(const std::string& name, Channel& channel,
                                 const std::string& epoch) {
    if (epoch == channel.epoch) return true;
    if (std::find(channel.retired.begin(), channel.retired.end(), epoch) != channel.retired.end()) {
        return false;
    }
    if (channel.epoch.empty()) {  // not known yet, or forgotten when Redis lost the channel
        channel.epoch = epoch;
        return true;
    }
    spdlog::warn("redis: {} restarted in Redis (epoch {} -> {}); delivering it from seq 1 again",
                 name, channel.epoch, epoch);
    ++resets_;
    channel.retired.push_back(std::exchange(channel.epoch, epoch));
    if (channel.retired.size() > kRetiredEpochs) channel.retired.erase(channel.retired.begin());
    channel.next = 1;
    channel.ahead.clear();
    channel.dropped_upto = 0;
    channel.restarted = channel.delivered;
    return true;
}

void FanoutTracker::forget_epoch(const std::string& name, Channel& channel) {
    if (channel.epoch.empty()) return;
    spdlog::warn(
            "redis: {} is gone from Redis (lost or flushed); delivering it from seq 1 once "
            "it is used again",
            name);
    ++resets_;
    channel.retired.push_back(std::exchange(channel.epoch, {}));
    if (channel.retired.size() > kRetiredEpochs) channel.retired.erase(channel.retired.begin());
    channel.next = 1;
    channel.ahead.clear();
    channel.dropped_upto = 0;
    channel.restarted = channel.delivered;
}

bool FanoutTracker::apply(const std::string& name, Channel& channel, TailRead&& read,
                          std::vector<StoredMessage>& out) {
    if (read.epoch.empty()) {
        forget_epoch(name, channel);
        return false;
    }
    if (!accept_epoch(name, channel, read.epoch)) return false;  // read before a reset we know
    const std::size_t got = read.messages.size();
    for (StoredMessage& message : read.messages) {
        if (message.seq < channel.next) continue;
        if (message.seq > channel.next) {
            warn_trimmed(name, channel.next, message.seq - 1);
            channel.next = message.seq;
        }
        out.push_back(std::move(message));
        ++channel.next;
    }
    if (got == 0 && read.state.last_seq >= channel.next) {
        warn_trimmed(name, channel.next, read.state.last_seq);
        channel.next = read.state.last_seq + 1;
    }
    caught_up_messages_ += out.size();
    drain(channel, out);
    return got >= kRepairChunk;
}

void FanoutTracker::take(Channel& channel, StoredMessage&& message,
                         std::vector<StoredMessage>& out) {
    if (channel.next != 0 && message.seq < channel.next) return;  // delivered already
    if (channel.next != 0 && message.seq == channel.next) {
        out.push_back(std::move(message));
        ++channel.next;
        return drain(channel, out);
    }
    // Past a hole, or before this node's appends say where the channel starts.
    if (channel.ahead.size() < kMaxAhead) {
        const Seq seq = message.seq;
        channel.ahead.emplace(seq, std::move(message));
    } else {
        channel.dropped_upto = std::max(channel.dropped_upto, message.seq);
    }
}

void FanoutTracker::drain(Channel& channel, std::vector<StoredMessage>& out) {
    while (!channel.ahead.empty()) {
        auto first = channel.ahead.begin();
        if (first->first > channel.next) break;
        if (first->first == channel.next) {
            out.push_back(std::move(first->second));
            ++channel.next;
        }
        channel.ahead.erase(first);
    }
}

bool FanoutTracker::has_hole(const Channel& channel) {
    return channel.next != 0 && (!channel.ahead.empty() || (channel.dropped_upto != 0 &&
                                                            channel.dropped_upto >= channel.next));
}

void FanoutTracker::deliver(Channel& channel, std::vector<StoredMessage>& out) {
    if (out.empty()) return;
    channel.delivered = true;
    // Subscribers have seen higher seqs of the lost channel: this one tells them it restarted.
    if (std::exchange(channel.restarted, false)) out.front().reset = true;
    if (listener_) listener_(std::move(out));
    out.clear();
}

FanoutTracker::Ticket FanoutTracker::expect(const std::string& name) {
    const std::size_t partition = partition_of(name);
    Ticket ticket{generation_[partition], false};
    if (!watched_[partition]) return ticket;
    Channel& channel = channels_[partition][name];
    if (channel.next == 0) {
        ++channel.own_pending;
        ticket.counted = true;
    }
    return ticket;
}

void FanoutTracker::appended(const std::string& name, Ticket ticket, Seq first,
                             const std::string& epoch) {
    const std::size_t partition = partition_of(name);
    auto it = channels_[partition].find(name);
    if (it == channels_[partition].end() || stopped_) return;  // unwatched meanwhile
    Channel& channel = it->second;
    if (ticket.counted) --channel.own_pending;
    if (first != 0 && accept_epoch(it->first, channel, epoch)) {
        if (channel.next == 0) {
            channel.next =
                    channel.ahead.empty() ? first : std::min(first, channel.ahead.begin()->first);
        } else if (!channel.delivered) {
            channel.next = std::min(channel.next, first);
        }
    }
    if (channel.next == 0) {
        if (channel.own_pending > 0) return;  // another append in flight will say
        if (channel.ahead.empty()) {          // nothing stored, nothing heard: not tracked
            channels_[partition].erase(it);
            return;
        }
        channel.next = channel.ahead.begin()->first;
    }
    std::vector<StoredMessage> out;
    drain(channel, out);
    deliver(channel, out);
    // Its push never comes when the script ran before this partition's subscription, and may
    // have died with an older one: read it back (a duplicate read is dropped by seq).
    const bool push_may_be_lost = first != 0 && ticket.generation != generation_[partition];
    if (generation_[partition] != 0 && (push_may_be_lost || has_hole(channel))) {
        queue_repair(partition, it->first, channel);
    }
}

}  // namespace herald::storage::redis

#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/presence.hpp"

namespace herald::transport {

/// The channels one polling HTTP connection is present in: each channel it polled (with `wait`)
/// lately. A poller says nothing when it stops, so its presence must end by itself: a channel
/// not polled for `ttl` is left, and the connection is in at most `max_channels` (the bound of
/// a WebSocket's subscriptions, limits.max_subscriptions; the oldest poll is left first), so
/// one connection polling ever new channels holds a bounded set. Every step is O(1) amortised.
/// Thread: its connection's shard only.
class PollPresence {
public:
    using Clock = std::chrono::steady_clock;

    PollPresence(std::size_t max_channels, Clock::duration ttl)
        : max_channels_(max_channels), ttl_(ttl) {}

    /// `channel` was polled at `now`: present in it from now until `now + ttl`. `join` makes
    /// the membership when the connection is not present yet: `core::PresenceMembership(const
    /// std::string& channel)`.
    template <class Join>
    void polled(const std::string& channel, Clock::time_point now, Join&& join) {
        expire(now);
        if (auto it = index_.find(channel); it != index_.end()) {
            it->second->polled = now;
            by_age_.splice(by_age_.end(), by_age_, it->second);  // now the newest
            return;
        }
        if (by_age_.size() >= max_channels_) forget_oldest();
        by_age_.push_back(Entry{channel, now, join(channel)});
        index_.emplace(by_age_.back().channel, std::prev(by_age_.end()));
    }

    /// Leaves every channel not polled since `now - ttl`.
    void expire(Clock::time_point now) {
        while (!by_age_.empty() && now - by_age_.front().polled >= ttl_)
            forget_oldest();
    }

    std::size_t size() const { return by_age_.size(); }
    bool contains(std::string_view channel) const { return index_.contains(channel); }

private:
    struct Entry {
        std::string channel;
        Clock::time_point polled;
        core::PresenceMembership membership;  // leaves the channel when the entry goes
    };

    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>{}(text);
        }
    };

    void forget_oldest() {
        index_.erase(by_age_.front().channel);
        by_age_.pop_front();
    }

    std::size_t max_channels_;
    Clock::duration ttl_;
    std::list<Entry> by_age_;  // oldest poll first
    // Keys view the entries' own names: list nodes never move.
    std::unordered_map<std::string_view, std::list<Entry>::iterator, Hash, std::equal_to<>> index_;
};

}  // namespace herald::transport

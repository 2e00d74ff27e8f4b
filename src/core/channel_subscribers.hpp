#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/subscriber.hpp"

namespace herald::core {

/// Channel -> local subscribers of one shard.
/// Thread: its shard's only. Owns nothing: entries leave with their Subscription.
class ChannelSubscribers {
public:
    /// Told when a channel gets its first subscriber on this shard (true) or loses its last
    /// (false): what channel.occupied and channel.vacated webhooks are made of.
    using OccupancyListener = std::function<void(const std::string& channel, bool occupied)>;
    void set_occupancy_listener(OccupancyListener listener) { occupancy_ = std::move(listener); }
    /// Told of every subscriber added (+1) or removed (-1): cluster-wide counts.
    using CountListener = std::function<void(const std::string& channel, int delta)>;
    void set_count_listener(CountListener listener) { counted_ = std::move(listener); }

    /// False if `subscriber` was already there: a repeated subscribe is a no-op.
    bool add(const std::string& channel, Subscriber* subscriber);
    void remove(const std::string& channel, Subscriber* subscriber);

    /// Hands `message` to every subscriber of its channel. Subscribers may leave meanwhile.
    void deliver(const MessagePtr& message);

    std::size_t count(std::string_view channel) const;
    /// Adds this shard's subscriber count of every channel starting with `prefix` to `out`.
    void add_counts(std::string_view prefix, std::map<std::string, std::size_t>& out) const;
    std::size_t total() const { return total_; }

private:
    struct Entry {
        std::vector<Subscriber*> subscribers;  // nullptr: left during a delivery
        std::size_t live = 0;
    };

    std::unordered_map<std::string, Entry> channels_;
    const Entry* delivering_ = nullptr;
    std::size_t total_ = 0;
    OccupancyListener occupancy_;
    CountListener counted_;
};

/// Unsubscribes on destruction, so a closed connection cannot leak a subscriber.
class Subscription {
public:
    Subscription() = default;
    Subscription(ChannelSubscribers& registry, std::string channel, Subscriber* subscriber)
        : registry_(&registry), channel_(std::move(channel)), subscriber_(subscriber) {}
    Subscription(Subscription&& other) noexcept
        : registry_(std::exchange(other.registry_, nullptr)),
          channel_(std::move(other.channel_)),
          subscriber_(other.subscriber_) {}
    Subscription& operator=(Subscription&& other) noexcept {
        if (this != &other) {
            reset();
            registry_ = std::exchange(other.registry_, nullptr);
            channel_ = std::move(other.channel_);
            subscriber_ = other.subscriber_;
        }
        return *this;
    }
    ~Subscription() { reset(); }

    void reset() {
        if (registry_ != nullptr) std::exchange(registry_, nullptr)->remove(channel_, subscriber_);
    }
    bool active() const { return registry_ != nullptr; }

private:
    ChannelSubscribers* registry_ = nullptr;
    std::string channel_;
    Subscriber* subscriber_ = nullptr;
};

}  // namespace herald::core

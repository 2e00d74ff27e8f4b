#include "core/channel_subscribers.hpp"

#include <algorithm>

namespace herald::core {

bool ChannelSubscribers::add(const std::string& channel, Subscriber* subscriber) {
    Entry& entry = channels_[channel];
    auto& list = entry.subscribers;
    if (std::find(list.begin(), list.end(), subscriber) != list.end()) return false;
    list.push_back(subscriber);
    ++total_;
    if (counted_) counted_(channel, 1);
    if (++entry.live == 1 && occupancy_) occupancy_(channel, true);
    return true;
}

void ChannelSubscribers::remove(const std::string& channel, Subscriber* subscriber) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    Entry& entry = it->second;
    auto found = std::find(entry.subscribers.begin(), entry.subscribers.end(), subscriber);
    if (found == entry.subscribers.end()) return;
    --entry.live;
    --total_;
    if (counted_) counted_(channel, -1);
    if (entry.live == 0 && occupancy_) occupancy_(channel, false);
    if (delivering_ == &entry) {
        *found = nullptr;  // deliver() is walking this list: it compacts when done
        return;
    }
    *found = entry.subscribers.back();  // order among subscribers does not matter
    entry.subscribers.pop_back();
    if (entry.live == 0) channels_.erase(it);
}

void ChannelSubscribers::deliver(const MessagePtr& message) {
    auto it = channels_.find(message->channel());
    if (it == channels_.end()) return;
    Entry& entry = it->second;
    delivering_ = &entry;
    // By index: a subscriber may add others (the vector may grow) or leave (set to nullptr).
    for (std::size_t i = 0; i < entry.subscribers.size(); ++i) {
        if (Subscriber* subscriber = entry.subscribers[i]) subscriber->deliver(message);
    }
    delivering_ = nullptr;
    std::erase(entry.subscribers, nullptr);
    if (entry.live == 0) channels_.erase(it);
}

std::size_t ChannelSubscribers::count(std::string_view channel) const {
    auto it = channels_.find(std::string(channel));
    return it == channels_.end() ? 0 : it->second.live;
}

void ChannelSubscribers::add_counts(std::string_view prefix,
                                    std::map<std::string, std::size_t>& out) const {
    for (const auto& [channel, entry] : channels_) {
        if (entry.live != 0 && channel.starts_with(prefix)) out[channel] += entry.live;
    }
}

}  // namespace herald::core

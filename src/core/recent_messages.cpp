#include "core/recent_messages.hpp"

namespace herald::core {

std::size_t RecentMessages::cost(const Message& message) {
    // The JSON and the fields it was made from, roughly: what the window keeps alive.
    return sizeof(Message) + 2 * message.json().size();
}

void RecentMessages::add(const std::vector<MessagePtr>& batch) {
    std::lock_guard lock(mutex_);
    for (const MessagePtr& message : batch) {
        auto it = windows_.find(message->channel());
        if (it == windows_.end()) {
            it = windows_.emplace(message->channel(), Window{}).first;
            it->second.age = by_age_.insert(by_age_.end(), message->channel());
        }
        Window& window = it->second;
        if (!window.messages.empty() && message->seq() != window.messages.back()->seq() + 1) {
            // Not the next seq (the channel was reset): the window starts again here.
            while (!window.messages.empty())
                drop_oldest(window);
        }
        window.messages.push_back(message);
        const std::size_t bytes = cost(*message);
        window.bytes += bytes;
        total_bytes_ += bytes;
        by_age_.splice(by_age_.end(), by_age_, window.age);  // now the newest
        while (window.messages.size() > 1 &&
               (window.messages.size() > bounds_.messages_per_channel ||
                window.bytes > bounds_.bytes_per_channel)) {
            drop_oldest(window);
        }
    }
    evict_for_total();
}

void RecentMessages::drop_oldest(Window& window) {
    const std::size_t bytes = cost(*window.messages.front());
    window.bytes -= bytes;
    total_bytes_ -= bytes;
    window.messages.pop_front();
}

void RecentMessages::forget(std::string_view channel) {
    std::lock_guard lock(mutex_);
    auto it = windows_.find(channel);
    if (it == windows_.end()) return;
    total_bytes_ -= it->second.bytes;
    by_age_.erase(it->second.age);
    windows_.erase(it);
}

void RecentMessages::evict_for_total() {
    // Whole windows, oldest first: a window must stay contiguous up to its newest message.
    while (total_bytes_ > bounds_.total_bytes && by_age_.size() > 1) {
        auto it = windows_.find(by_age_.front());
        total_bytes_ -= it->second.bytes;
        by_age_.pop_front();
        windows_.erase(it);
    }
}

std::optional<RecentMessages::Read> RecentMessages::read(std::string_view channel, Seq after,
                                                         std::size_t limit,
                                                         std::int64_t now_ms) const {
    std::lock_guard lock(mutex_);
    auto it = windows_.find(channel);
    if (it == windows_.end() || it->second.messages.empty()) return std::nullopt;
    const auto& messages = it->second.messages;
    const Seq first = messages.front()->seq();
    const Seq last = messages.back()->seq();
    // Older than the window, or beyond it: storage knows (trimmed history, a reset, a seq
    // committed but not added yet). Within it, after + 1 cannot wrap (after < last).
    if (after > last || after + 1 < first) return std::nullopt;
    Read result;
    result.last_seq = last;
    const std::size_t from = static_cast<std::size_t>(after + 1 - first);
    const std::size_t count = std::min(limit, messages.size() - from);
    if (count > 0 && messages[from]->time() < now_ms - bounds_.max_age.count()) {
        return std::nullopt;  // retention by age may have trimmed it: storage says so
    }
    result.messages.assign(messages.begin() + static_cast<std::ptrdiff_t>(from),
                           messages.begin() + static_cast<std::ptrdiff_t>(from + count));
    return result;
}

std::size_t RecentMessages::total_bytes() const {
    std::lock_guard lock(mutex_);
    return total_bytes_;
}

}  // namespace herald::core

#include "storage/memory/memory_log.hpp"

#include <algorithm>
#include <vector>

#include "util/clock.hpp"

namespace herald::storage {

MemoryLog::MemoryLog(RetentionPolicy policy) : policy_(policy) {}

void MemoryLog::set_commit_listener(CommitListener listener) {
    listener_ = std::move(listener);
}

void MemoryLog::append_batch(std::vector<AppendRequest> requests, BatchCompletion done) {
    std::lock_guard lock(mutex_);
    std::vector<AppendResult> results;
    results.reserve(requests.size());
    std::vector<StoredMessage> committed;
    for (AppendRequest& request : requests)
        results.push_back(store(request, committed));
    done(std::move(results));
    // Under the lock: listeners see batches in seq order even when shards append concurrently.
    if (listener_ && !committed.empty()) listener_(std::move(committed));
}

AppendResult MemoryLog::store(AppendRequest& request, std::vector<StoredMessage>& committed) {
    Channel& channel = channels_[request.channel];
    trim(channel, unix_millis());
    if (request.client_id) {
        if (auto it = channel.ids.find(request.id); it != channel.ids.end()) {
            return AppendResult{AppendStatus::duplicate, it->second.seq, request.id,
                                it->second.time};
        }
        channel.ids.emplace(request.id, PublishedId{channel.last_seq + 1, request.time});
        channel.id_order.emplace_back(request.time, request.id);
    }
    StoredMessage message{std::move(request.channel), ++channel.last_seq,
                          std::move(request.id),      std::move(request.event),
                          std::move(request.data),    request.time};
    channel.messages.push_back(message);
    while (channel.messages.size() > policy_.max_messages)
        channel.messages.pop_front();
    AppendResult result{AppendStatus::stored, message.seq, message.id, message.time};
    committed.push_back(std::move(message));
    return result;
}

ReadResult MemoryLog::read(std::string_view name, std::optional<Seq> after, std::size_t limit) {
    std::lock_guard lock(mutex_);
    ReadResult result;
    auto it = channels_.find(name);
    if (it == channels_.end()) return result;
    Channel& channel = it->second;
    trim(channel, unix_millis());
    const ChannelState state = state_of(it->first, channel);
    result.last_seq = state.last_seq;
    if (after) result.gap = gap_for(state, *after);
    const Seq from = after.value_or(0);
    for (const StoredMessage& message : channel.messages) {
        if (result.messages.size() >= limit) break;
        if (message.seq > from) result.messages.push_back(message);
    }
    return result;
}

ChannelState MemoryLog::channel(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = channels_.find(name);
    if (it == channels_.end()) return ChannelState{std::string(name), 0, 0};
    trim(it->second, unix_millis());
    return state_of(it->first, it->second);
}

std::vector<ChannelState> MemoryLog::channels(std::string_view prefix) {
    std::lock_guard lock(mutex_);
    std::vector<ChannelState> result;
    const std::int64_t now = unix_millis();
    for (auto it = channels_.lower_bound(prefix); it != channels_.end(); ++it) {
        if (!it->first.starts_with(prefix)) break;
        trim(it->second, now);
        ChannelState state = state_of(it->first, it->second);
        if (state.has_history()) result.push_back(std::move(state));
    }
    return result;
}

void MemoryLog::trim(Channel& channel, std::int64_t now) {
    const std::int64_t oldest_kept = now - policy_.max_age.count();
    while (!channel.messages.empty() && channel.messages.front().time < oldest_kept) {
        channel.messages.pop_front();
    }
    const std::int64_t oldest_id = now - policy_.dedupe_window.count();
    while (!channel.id_order.empty() && channel.id_order.front().first < oldest_id) {
        channel.ids.erase(channel.id_order.front().second);
        channel.id_order.pop_front();
    }
}

ChannelState MemoryLog::state_of(const std::string& name, const Channel& channel) {
    const Seq first =
            channel.messages.empty() ? channel.last_seq + 1 : channel.messages.front().seq;
    return ChannelState{name, channel.last_seq == 0 ? 0 : first, channel.last_seq};
}

}  // namespace herald::storage

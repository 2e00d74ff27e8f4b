#include "storage/memory/memory_log.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "util/clock.hpp"

namespace herald::storage {

MemoryLog::MemoryLog(RetentionPolicy policy) : policy_(policy) {}

void MemoryLog::set_commit_listener(CommitListener listener) {
    listener_ = std::move(listener);
}

void MemoryLog::append_batch(std::vector<AppendRequest> requests, BatchCompletion done) {
    std::unique_lock lock(mutex_);
    std::vector<AppendResult> results;
    results.reserve(requests.size());
    std::vector<StoredMessage> committed;
    for (AppendRequest& request : requests)
        results.push_back(store(request, committed));
    std::vector<OutboxEvent> events;
    if (router_) {
        for (const StoredMessage& message : committed)
            router_(message, events);
        keep_events(events, 0);
    }
    announce(
            [this, events = std::move(events), done = std::move(done), results = std::move(results),
             committed = std::move(committed)]() mutable {
                if (outbox_listener_ && !events.empty()) outbox_listener_(std::move(events));
                done(std::move(results));
                if (listener_ && !committed.empty()) listener_(std::move(committed));
            },
            lock);
}

void MemoryLog::announce(std::function<void()> call, std::unique_lock<std::mutex>& lock) {
    to_announce_.push_back(std::move(call));
    if (std::exchange(announcing_, true)) return;  // that thread will run this one too
    while (!to_announce_.empty()) {
        std::function<void()> next = std::move(to_announce_.front());
        to_announce_.pop_front();
        lock.unlock();
        next();
        next = nullptr;  // what it captured goes before the lock is taken again
        lock.lock();
    }
    announcing_ = false;
}

void MemoryLog::keep_events(std::vector<OutboxEvent>& events, std::size_t from) {
    for (std::size_t i = from; i < events.size(); ++i) {
        events[i].row = next_row_++;
        events_.emplace(events[i].row, events[i]);
    }
}

void MemoryLog::enqueue_events(std::vector<OutboxEvent> events) {
    std::unique_lock lock(mutex_);
    keep_events(events, 0);
    if (events.empty()) return;
    announce(
            [this, events = std::move(events)]() mutable {
                if (outbox_listener_) outbox_listener_(std::move(events));
            },
            lock);
}

std::vector<OutboxEvent> MemoryLog::pending_events() {
    std::lock_guard lock(mutex_);
    std::vector<OutboxEvent> pending;
    for (const auto& [row, event] : events_) {
        if (!failed_.contains(row)) pending.push_back(event);
    }
    return pending;
}

void MemoryLog::pending_for(std::string endpoint_id, std::int64_t after_row, std::size_t limit,
                            std::function<void(std::vector<OutboxEvent>)> done) {
    std::unique_lock lock(mutex_);
    std::vector<OutboxEvent> events;
    for (auto it = events_.upper_bound(after_row); it != events_.end() && events.size() < limit;
         ++it) {
        if (it->second.endpoint_id == endpoint_id && !failed_.contains(it->first)) {
            events.push_back(it->second);
        }
    }
    // In the announcement queue: after the listener heard of every event read here, before it
    // hears of any later one (Outbox::pending_for).
    announce([done = std::move(done),
              events = std::move(events)]() mutable { done(std::move(events)); },
             lock);
}

void MemoryLog::count_pending(std::string endpoint_id, std::int64_t after_row,
                              std::function<void(std::size_t)> done) {
    std::unique_lock lock(mutex_);
    std::size_t count = 0;
    for (auto it = events_.upper_bound(after_row); it != events_.end(); ++it) {
        if (it->second.endpoint_id == endpoint_id && !failed_.contains(it->first)) ++count;
    }
    announce([done = std::move(done), count] { done(count); }, lock);  // ordered as pending_for
}

void MemoryLog::prune_failed(const std::string& endpoint_id) {
    std::vector<std::int64_t> rows;  // oldest first
    for (const auto& [row, endpoint] : failed_) {
        if (endpoint == endpoint_id) rows.push_back(row);
    }
    for (std::size_t i = 0; i + kFailedEventsKeptPerEndpoint < rows.size(); ++i) {
        failed_.erase(rows[i]);
        events_.erase(rows[i]);
    }
}

void MemoryLog::record_attempts(std::vector<AttemptOutcome> outcomes) {
    std::lock_guard lock(mutex_);
    for (AttemptOutcome& outcome : outcomes) {
        auto it = events_.find(outcome.row);
        if (it != events_.end()) {
            if (outcome.next == AttemptOutcome::Next::done) {
                events_.erase(it);
            } else {
                it->second.attempts = outcome.attempt.attempt;
                it->second.next_attempt = outcome.next_attempt;
                it->second.first_attempt = outcome.first_attempt;
                if (outcome.next == AttemptOutcome::Next::failed) {
                    failed_.emplace(outcome.row, it->second.endpoint_id);
                    prune_failed(it->second.endpoint_id);
                }
            }
        }
        if (outcome.attempt.attempt == 0) continue;
        auto& list = attempts_[outcome.attempt.endpoint_id];
        list.push_back(std::move(outcome.attempt));
        while (list.size() > kAttemptsKeptPerEndpoint)
            list.pop_front();
    }
}

void MemoryLog::recent_attempts(std::string endpoint_id, std::size_t limit,
                                std::function<void(std::vector<DeliveryAttempt>)> done) {
    std::vector<DeliveryAttempt> recent;
    {
        std::lock_guard lock(mutex_);
        auto it = attempts_.find(endpoint_id);
        if (it != attempts_.end()) {
            for (auto a = it->second.rbegin(); a != it->second.rend() && recent.size() < limit;
                 ++a) {
                recent.push_back(*a);
            }
        }
    }
    done(std::move(recent));
}

std::vector<EndpointRecord> MemoryLog::endpoints() {
    std::lock_guard lock(mutex_);
    std::vector<EndpointRecord> records;
    for (const auto& [id, record] : endpoints_)
        records.push_back(record);
    return records;
}

void MemoryLog::save_endpoint(EndpointRecord endpoint, std::function<void(bool)> done) {
    {
        std::lock_guard lock(mutex_);
        endpoints_[endpoint.id] = std::move(endpoint);
    }
    if (done) done(true);
}

void MemoryLog::delete_endpoint(std::string id, std::function<void(bool)> done) {
    {
        std::lock_guard lock(mutex_);
        endpoints_.erase(id);
        attempts_.erase(id);
        std::erase_if(events_, [&](const auto& entry) { return entry.second.endpoint_id == id; });
        std::erase_if(failed_, [&](const auto& entry) { return entry.second == id; });
    }
    if (done) done(true);
}

void MemoryLog::disable_endpoint(std::string id) {
    std::lock_guard lock(mutex_);
    if (auto it = endpoints_.find(id); it != endpoints_.end()) it->second.enabled = false;
    std::erase_if(events_, [&](const auto& entry) {
        return entry.second.endpoint_id == id && !failed_.contains(entry.first);
    });
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

void MemoryLog::read(std::string_view name, std::optional<Seq> after, std::size_t limit,
                     ReadCompletion done) {
    ReadResult result = read_now(name, after, limit);
    done(std::move(result));
}

ReadResult MemoryLog::read_now(std::string_view name, std::optional<Seq> after, std::size_t limit) {
    std::lock_guard lock(mutex_);
    ReadResult result;
    auto it = channels_.find(name);
    if (it == channels_.end()) {
        if (after) result.gap = gap_for(ChannelState{std::string(name), 0, 0}, *after);
        return result;
    }
    Channel& channel = it->second;
    trim(channel, unix_millis());
    const ChannelState state = state_of(it->first, channel);
    result.last_seq = state.last_seq;
    if (after) result.gap = gap_for(state, *after);
    if (channel.messages.empty()) return result;
    // Retained seqs are contiguous: the first one to send is found by its index, not a walk.
    // `from` is at most last_seq here (a cursor beyond it is a reset gap), so nothing wraps.
    const Seq from = cursor_after(after.value_or(0), result.gap);
    const Seq first = channel.messages.front().seq;
    for (std::size_t i = from < first ? 0 : static_cast<std::size_t>(from - first + 1);
         i < channel.messages.size() && result.messages.size() < limit; ++i) {
        result.messages.push_back(channel.messages[i]);
    }
    return result;
}

void MemoryLog::channel(std::string_view name, StateCompletion done) {
    ChannelState state{std::string(name), 0, 0};
    {
        std::lock_guard lock(mutex_);
        if (auto it = channels_.find(name); it != channels_.end()) {
            trim(it->second, unix_millis());
            state = state_of(it->first, it->second);
        }
    }
    done(std::move(state));  // outside the lock: it may call back into the log
}

void MemoryLog::channels(std::string_view prefix, ListCompletion done) {
    std::vector<ChannelState> result;
    {
        std::lock_guard lock(mutex_);
        const std::int64_t now = unix_millis();
        for (auto it = channels_.lower_bound(prefix); it != channels_.end(); ++it) {
            if (!it->first.starts_with(prefix)) break;
            trim(it->second, now);
            ChannelState state = state_of(it->first, it->second);
            if (state.last_seq != 0) result.push_back(std::move(state));
        }
    }
    done(std::move(result));
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

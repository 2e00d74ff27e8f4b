#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "storage/message_log.hpp"
#include "storage/outbox.hpp"

namespace herald::storage {

/// Volatile log: a bounded deque per channel. For tests and ephemeral deployments.
/// Thread: any; one mutex orders appends. What an append announces (its completion, the outbox
/// and commit listeners) is called with the mutex released, in append order: each committed
/// batch joins a queue, and the one thread that finds nobody announcing drains it. So a
/// listener may call back into the log, and no publisher waits on another's JSON encoding.
/// Also a volatile webhook outbox: events and endpoints live as long as the process.
class MemoryLog final : public MessageLog, public Outbox {
public:
    explicit MemoryLog(RetentionPolicy policy);

    void set_commit_listener(CommitListener listener) override;
    void append_batch(std::vector<AppendRequest> requests, BatchCompletion done) override;
    /// Answers before it returns: nothing is on disk.
    void read(std::string_view channel, std::optional<Seq> after, std::size_t limit,
              ReadCompletion done) override;
    /// Both answer before they return: the state is in memory.
    void channel(std::string_view channel, StateCompletion done) override;
    void channels(std::string_view prefix, ListCompletion done) override;
    void check_ready(std::function<void(bool)> done) override { done(true); }
    void close() override {}

    void set_outbox_router(Router router) override { router_ = std::move(router); }
    void set_outbox_listener(Listener listener) override { outbox_listener_ = std::move(listener); }
    void enqueue_events(std::vector<OutboxEvent> events) override;
    std::vector<OutboxEvent> pending_events() override;
    void pending_for(std::string endpoint_id, std::int64_t after_row, std::size_t limit,
                     std::function<void(std::vector<OutboxEvent>)> done) override;
    void count_pending(std::string endpoint_id, std::int64_t after_row,
                       std::function<void(std::size_t)> done) override;
    void record_attempts(std::vector<AttemptOutcome> outcomes) override;
    void recent_attempts(std::string endpoint_id, std::size_t limit,
                         std::function<void(std::vector<DeliveryAttempt>)> done) override;
    std::vector<EndpointRecord> endpoints() override;
    void save_endpoint(EndpointRecord endpoint, std::function<void(bool)> done) override;
    void delete_endpoint(std::string id, std::function<void(bool)> done) override;
    void disable_endpoint(std::string id) override;

private:
    /// Deletes the endpoint's failed events beyond the newest kFailedEventsKeptPerEndpoint.
    /// Under `mutex_`.
    void prune_failed(const std::string& endpoint_id);

    struct PublishedId {
        Seq seq;
        std::int64_t time;
    };
    struct Channel {
        std::deque<StoredMessage> messages;
        Seq last_seq = 0;
        std::unordered_map<std::string, PublishedId> ids;           // client ids within the window
        std::deque<std::pair<std::int64_t, std::string>> id_order;  // (time, id) oldest first
    };

    ReadResult read_now(std::string_view channel, std::optional<Seq> after, std::size_t limit);
    /// Stores one message. Caller holds `mutex_`.
    AppendResult store(AppendRequest& request, std::vector<StoredMessage>& committed);
    /// Drops what retention no longer keeps. Caller holds `mutex_`.
    void trim(Channel& channel, std::int64_t now);
    static ChannelState state_of(const std::string& name, const Channel& channel);

    /// Gives `events` rows and keeps them. Caller holds `mutex_`.
    void keep_events(std::vector<OutboxEvent>& events, std::size_t from);

    /// Queues `call`, something to tell a caller or listener (caller holds `lock` on `mutex_`),
    /// then, unless another thread is announcing, releases the lock and runs everything queued,
    /// in order, relocking between calls.
    void announce(std::function<void()> call, std::unique_lock<std::mutex>& lock);

    RetentionPolicy policy_;
    CommitListener listener_;
    std::mutex mutex_;
    std::map<std::string, Channel, std::less<>> channels_;
    std::deque<std::function<void()>> to_announce_;  // under `mutex_`, in the order of its work
    bool announcing_ = false;                        // a thread is draining `to_announce_`
    // The outbox, under `mutex_` too.
    Router router_;
    Listener outbox_listener_;
    std::int64_t next_row_ = 1;
    std::map<std::int64_t, OutboxEvent> events_;  // pending and failed, by row
    std::map<std::int64_t, std::string> failed_;  // row -> endpoint: not pending any more
    std::map<std::string, EndpointRecord> endpoints_;
    std::map<std::string, std::deque<DeliveryAttempt>> attempts_;  // newest last
};

}  // namespace herald::storage

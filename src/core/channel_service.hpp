#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/hub.hpp"
#include "core/message.hpp"
#include "core/server_metrics.hpp"
#include "runtime/shard_id.hpp"
#include "storage/message_log.hpp"
#include "util/message_id.hpp"

namespace herald::core {

using Gap = storage::Gap;

class SharedCounts;

struct PublishRequest {
    std::string channel;
    std::string data;  // JSON text
    std::string event = "message";
    std::optional<std::string> id;  // the publisher's idempotency key
};

enum class PublishStatus { created, duplicate, failed };

struct PublishResult {
    PublishStatus status = PublishStatus::failed;
    std::string channel;
    Seq seq = 0;
    std::string id;
    std::int64_t time = 0;
};

struct ReadResult {
    std::vector<MessagePtr> messages;
    Seq last_seq = 0;
    std::optional<Gap> gap;
    bool failed = false;  // storage could not read: answer unavailable, never a gap
};

struct ChannelInfo {
    std::string channel;
    Seq first_seq = 0;
    Seq last_seq = 0;
    std::size_t subscribers = 0;
};

/// What transports may do with channels: publish, read, inspect. Transports know this
/// service, never the storage behind it.
/// Thread: any shard; results come back on the calling shard.
class ChannelService {
public:
    ChannelService(storage::MessageLog& log, Hub& hub, runtime::ShardGroup& shards,
                   ServerMetrics& metrics);

    /// Stores the message; `done` runs on `shard` once it is committed (or refused).
    void publish(runtime::ShardId shard, PublishRequest request,
                 std::function<void(const PublishResult&)> done);

    /// Reads history. Near the head the window of recent messages answers (no storage, nothing
    /// decoded or encoded again) and `done` runs before `read` returns; otherwise storage reads
    /// off this thread and `done` runs on `shard` in a later handler.
    void read(runtime::ShardId shard, std::string_view channel, std::optional<Seq> after,
              std::size_t limit, std::function<void(ReadResult)> done);

    /// The channel's position in storage (its last_seq: 0 for a channel never used), or none
    /// when storage could not tell; `done` runs on `shard` in a later handler.
    void position(runtime::ShardId shard, std::string_view channel,
                  std::function<void(std::optional<storage::ChannelState>)> done);

    /// A channel's positions and subscribers; none when storage could not tell. `done` runs on
    /// `shard`.
    void info(runtime::ShardId shard, std::string channel,
              std::function<void(std::optional<ChannelInfo>)> done);
    /// The channels with retained history or subscribers whose name starts with `prefix`.
    void list(runtime::ShardId shard, std::string prefix,
              std::function<void(std::optional<std::vector<ChannelInfo>>)> done);

    /// Whether storage answers (/readyz); `done` runs on `shard`.
    void check_ready(runtime::ShardId shard, std::function<void(bool)> done);
    Hub& hub() { return hub_; }
    /// Cluster mode: subscriber counts from every node. Set before the shards start.
    void set_shared_counts(SharedCounts* shared) { shared_counts_ = shared; }
    ServerMetrics& metrics() { return metrics_; }

private:
    /// Subscribers of `channels`: on this node, the shards' counts of every channel starting
    /// with `prefix`; in cluster mode, every node's counts of `channels`. None when that could
    /// not be read. `done` runs on `shard`.
    void count(runtime::ShardId shard, std::string prefix, std::vector<std::string> channels,
               std::function<void(std::optional<SubscriberCounts>)> done);
    struct WaitingPublish {
        std::string channel;
        std::chrono::steady_clock::time_point started;
        std::function<void(const PublishResult&)> done;
    };
    /// Publishes a shard received in one loop turn, handed to the log together.
    struct PublishQueue {
        std::vector<storage::AppendRequest> requests;
        std::vector<WaitingPublish> waiting;
        bool flush_scheduled = false;
    };

    void flush_publishes(runtime::ShardId shard);
    void complete_publishes(runtime::ShardId shard, std::vector<WaitingPublish>& waiting,
                            std::vector<storage::AppendResult>& results);

    storage::MessageLog& log_;
    Hub& hub_;
    SharedCounts* shared_counts_ = nullptr;
    runtime::ShardGroup& shards_;
    ServerMetrics& metrics_;
    std::vector<MessageIdGenerator> ids_;  // one per shard, touched by its shard only
    std::vector<PublishQueue> queues_;     // one per shard, touched by its shard only
};

}  // namespace herald::core

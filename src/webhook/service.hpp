#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/presence.hpp"
#include "core/webhook_admin.hpp"
#include "runtime/shard_group.hpp"
#include "storage/outbox.hpp"
#include "util/message_id.hpp"
#include "webhook/dispatcher.hpp"
#include "webhook/endpoint.hpp"
#include "webhook/retry_schedule.hpp"

namespace herald::webhook {

struct ServiceOptions {
    /// `[[webhooks]]` of the config file, in file order; ids and `from_config` are set here.
    std::vector<storage::EndpointRecord> config_endpoints;
    RetryPolicy retry;
    DispatcherLimits limits;
};

/// Webhooks of one node: the endpoints (config file and admin API), the outbox router, the
/// dispatcher (on shard 0) and the events that no message carries (channel occupancy,
/// presence). The composition root builds one and hands it to the HTTP layer as the admin API.
/// Thread: `start` and `stop` on the main thread; the rest from any shard.
class Service final : public core::WebhookAdmin {
public:
    Service(runtime::ShardGroup& shards, storage::Outbox& outbox, ServiceOptions options);

    /// Before the shards take requests: validates and saves the config endpoints (replacing
    /// those of an older config), loads the rest, installs the outbox router and listener and
    /// hands the pending events to the dispatcher. Throws std::invalid_argument naming the
    /// bad `webhooks[i]` entry, std::runtime_error when storage fails.
    void start();
    /// Before storage closes: no more attempts or outcomes.
    void stop();

    /// Hub occupancy listener: a channel's first subscriber on `shard` arrived, or its last left.
    void on_local_occupancy(runtime::ShardId shard, const std::string& channel, bool occupied);
    /// Cluster mode: the cluster decided the channel's occupancy (cluster::RedisCounts), once for
    /// all nodes; this node sends the event. Any shard.
    void on_cluster_occupancy(const std::string& channel, bool occupied);
    /// Presence change listener.
    void on_presence(const core::PresenceChange& change);

    // core::WebhookAdmin
    void create(runtime::ShardId shard, core::WebhookSpec spec,
                std::function<void(core::WebhookCreated)> done) override;
    std::vector<core::WebhookView> list() override;
    void remove(runtime::ShardId shard, std::string id,
                std::function<void(core::WebhookAdminStatus)> done) override;
    void deliveries(
            runtime::ShardId shard, std::string id,
            std::function<void(core::WebhookAdminStatus, std::vector<storage::DeliveryAttempt>)>
                    done) override;
    std::vector<core::WebhookStats> stats() override;

private:
    /// make_endpoint, and for an endpoint being added (config file, admin API) the
    /// deny_private check of its URL host.
    std::variant<EndpointPtr, InvalidInput> make_new_endpoint(storage::EndpointRecord record) const;
    /// Outboxes one event of `type` in `channel` for every endpoint that wants it.
    void emit(EventType type, const std::string& channel, const std::string& data);
    static core::WebhookView view_of(const Endpoint& endpoint);

    // The dispatcher and the per-node occupancy counts live on one shard: no lock between them.
    static constexpr runtime::ShardId kWebhookShard{0};
    runtime::ShardGroup& shards_;
    storage::Outbox& outbox_;
    ServiceOptions options_;
    Registry registry_;
    std::unique_ptr<Dispatcher> dispatcher_;
    std::mutex ids_mutex_;  // emit() runs on any shard
    MessageIdGenerator ids_;
    std::unordered_map<std::string, std::size_t> occupied_shards_;  // shard 0 only
};

}  // namespace herald::webhook

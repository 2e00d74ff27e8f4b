#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/shard_id.hpp"
#include "storage/outbox.hpp"

namespace herald::core {

/// What `POST /v1/webhooks` asks for, as the client sent it (not yet validated).
struct WebhookSpec {
    std::string url;
    std::vector<std::string> events;
    std::vector<std::string> channels;
    std::optional<std::string> secret;
};

/// An endpoint as the admin API shows it; `secret` only in the answer to its creation.
struct WebhookView {
    std::string id;
    std::string url;
    std::vector<std::string> events;
    std::vector<std::string> channels;
    bool enabled = true;
    std::string source;  // "api" | "config"
    std::int64_t created = 0;
    std::optional<std::string> secret;
};

/// Counts of one endpoint for /metrics.
struct WebhookStats {
    std::string id;
    std::uint64_t attempts = 0, successes = 0, failures = 0;
    std::int64_t queue_depth = 0;
};

enum class WebhookAdminStatus { ok, invalid, not_found, unavailable };

struct WebhookCreated {
    WebhookAdminStatus status = WebhookAdminStatus::ok;
    std::string message;  // why, when not ok
    WebhookView view;
};

/// The webhook admin API as transports see it: implemented by the webhook layer, so the HTTP
/// router needs neither webhook nor storage code.
/// Thread: any shard; `done` runs on shard `shard`.
class WebhookAdmin {
public:
    virtual ~WebhookAdmin() = default;
    virtual void create(runtime::ShardId shard, WebhookSpec spec,
                        std::function<void(WebhookCreated)> done) = 0;
    virtual std::vector<WebhookView> list() = 0;
    virtual void remove(runtime::ShardId shard, std::string id,
                        std::function<void(WebhookAdminStatus)> done) = 0;
    /// The newest attempts first.
    virtual void deliveries(
            runtime::ShardId shard, std::string id,
            std::function<void(WebhookAdminStatus, std::vector<storage::DeliveryAttempt>)>
                    done) = 0;
    virtual std::vector<WebhookStats> stats() = 0;
};

}  // namespace herald::core

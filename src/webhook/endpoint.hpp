#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "storage/outbox.hpp"
#include "webhook/endpoint_filter.hpp"
#include "webhook/endpoint_url.hpp"
#include "webhook/invalid_input.hpp"
#include "webhook/secret.hpp"

namespace herald::webhook {

/// One endpoint, validated: where to send, how to sign, what it wants. Immutable, shared by
/// the router (writer thread), the event source and the dispatcher (shards).
struct Endpoint {
    std::string id;  // "wh_" + ULID for the admin API, "cfg_" + hash for the config file
    EndpointUrl url;
    Secret secret;
    EndpointFilter filter;
    storage::EndpointRecord record;  // as given and stored: the listing shows it
    bool enabled() const { return record.enabled; }
};
using EndpointPtr = std::shared_ptr<const Endpoint>;

/// Validates a stored or submitted record; the message is the admin API's 400 text.
std::variant<EndpointPtr, InvalidInput> make_endpoint(storage::EndpointRecord record);

/// A stable id for a config endpoint: "cfg_" + 16 hex digits of SHA-256 over its url, events
/// and channels, so its pending events find it again after a restart with the same config.
std::string config_endpoint_id(const storage::EndpointRecord& record);

/// Every endpoint of the node. Readers take a snapshot (one shared_ptr copy under a mutex,
/// never held during I/O); writers replace it.
/// Thread: any.
class Registry {
public:
    using Snapshot = std::shared_ptr<const std::vector<EndpointPtr>>;

    Snapshot snapshot() const;
    EndpointPtr find(const std::string& id) const;
    void put(EndpointPtr endpoint);  // adds, or replaces the one with the same id
    bool erase(const std::string& id);
    /// Marks the endpoint disabled (410 Gone): it receives no new events.
    void disable(const std::string& id);

private:
    mutable std::mutex mutex_;
    Snapshot endpoints_ = std::make_shared<const std::vector<EndpointPtr>>();
};

/// The outbox router: inside a stored message's transaction, one message.published event per
/// enabled endpoint whose filter matches; one body and one webhook-id shared by all of them.
/// Runs on the store's thread only (or under its lock).
storage::Outbox::Router make_outbox_router(Registry& registry);

}  // namespace herald::webhook

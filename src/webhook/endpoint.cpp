#include "webhook/endpoint.hpp"

#include <cstdio>

#include <openssl/evp.h>

#include "core/message.hpp"
#include "util/message_id.hpp"
#include "webhook/delivery.hpp"

namespace herald::webhook {

std::variant<EndpointPtr, InvalidInput> make_endpoint(storage::EndpointRecord record) {
    auto url = parse_endpoint_url(record.url);
    if (auto* error = std::get_if<InvalidInput>(&url)) return std::move(*error);
    auto secret = Secret::parse(record.secret);
    if (auto* error = std::get_if<InvalidInput>(&secret)) return std::move(*error);
    auto filter = EndpointFilter::parse(record.events, record.channels);
    if (auto* error = std::get_if<InvalidInput>(&filter)) return std::move(*error);
    std::string id = record.id;
    return std::make_shared<const Endpoint>(
            Endpoint{std::move(id), std::get<EndpointUrl>(std::move(url)),
                     std::get<Secret>(std::move(secret)),
                     std::get<EndpointFilter>(std::move(filter)), std::move(record)});
}

std::string config_endpoint_id(const storage::EndpointRecord& record) {
    std::string text = record.url;
    for (const auto& event : record.events)
        text += "\n" + event;
    text += "\n\n";
    for (const auto& channel : record.channels)
        text += "\n" + channel;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
    std::string id = "cfg_";
    char hex[3];
    for (unsigned i = 0; i < 8 && i < size; ++i) {
        std::snprintf(hex, sizeof hex, "%02x", digest[i]);
        id += hex;
    }
    return id;
}

Registry::Snapshot Registry::snapshot() const {
    std::lock_guard lock(mutex_);
    return endpoints_;
}

EndpointPtr Registry::find(const std::string& id) const {
    const Snapshot all = snapshot();
    for (const EndpointPtr& endpoint : *all) {
        if (endpoint->id == id) return endpoint;
    }
    return nullptr;
}

void Registry::put(EndpointPtr endpoint) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<std::vector<EndpointPtr>>(*endpoints_);
    bool replaced = false;
    for (EndpointPtr& existing : *next) {
        if (existing->id == endpoint->id) {
            existing = endpoint;
            replaced = true;
        }
    }
    if (!replaced) next->push_back(std::move(endpoint));
    endpoints_ = std::move(next);
}

bool Registry::erase(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<std::vector<EndpointPtr>>(*endpoints_);
    const auto removed = std::erase_if(*next, [&](const EndpointPtr& e) { return e->id == id; });
    endpoints_ = std::move(next);
    return removed != 0;
}

void Registry::disable(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<std::vector<EndpointPtr>>(*endpoints_);
    for (EndpointPtr& existing : *next) {
        if (existing->id != id) continue;
        Endpoint copy = *existing;
        copy.record.enabled = false;
        existing = std::make_shared<const Endpoint>(std::move(copy));
    }
    endpoints_ = std::move(next);
}

storage::Outbox::Router make_outbox_router(Registry& registry) {
    auto ids = std::make_shared<MessageIdGenerator>();
    return [&registry, ids](const storage::StoredMessage& stored,
                            std::vector<storage::OutboxEvent>& out) {
        const Registry::Snapshot endpoints = registry.snapshot();
        std::string body;
        std::string webhook_id;
        for (const EndpointPtr& endpoint : *endpoints) {
            if (!endpoint->enabled() ||
                !endpoint->filter.matches(EventType::message_published, stored.channel)) {
                continue;
            }
            if (body.empty()) {  // built once, for the first endpoint that wants it
                body = message_published_body(core::Message(stored));
                webhook_id = new_webhook_id(*ids, stored.time);
            }
            out.push_back(storage::OutboxEvent{0, webhook_id, endpoint->id,
                                               std::string(name_of(EventType::message_published)),
                                               body, 0, stored.time, 0});
        }
    };
}

}  // namespace herald::webhook

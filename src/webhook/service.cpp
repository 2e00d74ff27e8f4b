#include "webhook/service.hpp"

#include <future>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "util/clock.hpp"
#include "webhook/address_policy.hpp"
#include "webhook/delivery.hpp"

namespace herald::webhook {

namespace {

/// Waits for an asynchronous store call at start-up.
bool wait(const std::function<void(std::function<void(bool)>)>& call) {
    std::promise<bool> done;
    call([&done](bool ok) { done.set_value(ok); });
    return done.get_future().get();
}

}  // namespace

Service::Service(runtime::ShardGroup& shards, storage::Outbox& outbox, ServiceOptions options)
    : shards_(shards), outbox_(outbox), options_(std::move(options)) {
    dispatcher_ =
            std::make_unique<Dispatcher>(shards_[kWebhookShard].executor(), outbox_, registry_,
                                         RetrySchedule(options_.retry), options_.limits);
}

void Service::start() {
    // The config file's endpoints: validated, then saved under ids derived from their content.
    std::vector<std::string> config_ids;
    const std::int64_t now = unix_millis();
    for (std::size_t i = 0; i < options_.config_endpoints.size(); ++i) {
        storage::EndpointRecord record = options_.config_endpoints[i];
        record.from_config = true;
        record.enabled = true;
        record.created = now;
        record.id = config_endpoint_id(record);
        auto endpoint = make_new_endpoint(record);
        if (auto* error = std::get_if<InvalidInput>(&endpoint)) {
            throw std::invalid_argument("webhooks[" + std::to_string(i) + "]: " + error->message);
        }
        config_ids.push_back(record.id);
        registry_.put(std::get<EndpointPtr>(std::move(endpoint)));
    }
    for (const storage::EndpointRecord& stored : outbox_.endpoints()) {
        if (stored.from_config) {
            if (std::find(config_ids.begin(), config_ids.end(), stored.id) == config_ids.end()) {
                // From an older config file: gone with its pending events.
                spdlog::info("webhooks: endpoint {} ({}) is no longer in the config; removed",
                             stored.id, stored.url);
                wait([&](auto done) { outbox_.delete_endpoint(stored.id, std::move(done)); });
            }
            continue;
        }
        auto endpoint = make_endpoint(stored);
        if (auto* error = std::get_if<InvalidInput>(&endpoint)) {
            spdlog::error("webhooks: stored endpoint {} is not valid ({}); ignored", stored.id,
                          error->message);
            continue;
        }
        registry_.put(std::get<EndpointPtr>(std::move(endpoint)));
    }
    for (const EndpointPtr& endpoint : *registry_.snapshot()) {
        if (!endpoint->record.from_config) continue;
        if (!wait([&](auto done) { outbox_.save_endpoint(endpoint->record, std::move(done)); })) {
            throw std::runtime_error("cannot store webhook endpoint " + endpoint->id);
        }
    }

    outbox_.set_outbox_router(make_outbox_router(registry_));
    outbox_.set_outbox_listener([this](std::vector<storage::OutboxEvent>&& events) {
        dispatcher_->add(std::move(events));
    });
    // Pending events are read back per endpoint, a page at a time (bounded memory).
    const auto endpoints = registry_.snapshot();
    for (const EndpointPtr& endpoint : *endpoints) {
        if (endpoint->enabled()) dispatcher_->resume(endpoint->id);
    }
    spdlog::info("webhooks: {} endpoints", endpoints->size());
}

void Service::stop() {
    dispatcher_->stop();
}

void Service::on_local_occupancy(runtime::ShardId, const std::string& channel, bool occupied) {
    shards_[kWebhookShard].post([this, channel, occupied] {
        // Per node: occupied when the first shard gets a subscriber, vacated when the last
        // shard loses its last. A shard's own changes arrive in order (FIFO posting).
        std::size_t& count = occupied_shards_[channel];
        if (occupied) {
            if (++count == 1)
                emit(EventType::channel_occupied, channel, channel_event_data(channel));
        } else if (count > 0 && --count == 0) {
            occupied_shards_.erase(channel);
            emit(EventType::channel_vacated, channel, channel_event_data(channel));
        }
    });
}

void Service::on_cluster_occupancy(const std::string& channel, bool occupied) {
    emit(occupied ? EventType::channel_occupied : EventType::channel_vacated, channel,
         channel_event_data(channel));
}

void Service::on_presence(const core::PresenceChange& change) {
    const EventType type = change.kind == core::PresenceChange::Kind::join
                                   ? EventType::presence_joined
                                   : EventType::presence_left;
    emit(type, change.channel, presence_event_data(change));
}

void Service::emit(EventType type, const std::string& channel, const std::string& data) {
    const auto endpoints = registry_.snapshot();
    std::vector<storage::OutboxEvent> events;
    std::string body;
    std::string webhook_id;
    for (const EndpointPtr& endpoint : *endpoints) {
        if (!endpoint->enabled() || !endpoint->filter.matches(type, channel)) continue;
        const std::int64_t now = unix_millis();
        if (body.empty()) {
            body = delivery_body(type, now, data);
            std::lock_guard lock(ids_mutex_);
            webhook_id = new_webhook_id(ids_, now);
        }
        events.push_back(storage::OutboxEvent{0, webhook_id, endpoint->id,
                                              std::string(name_of(type)), body, 0, now, 0});
    }
    if (!events.empty()) outbox_.enqueue_events(std::move(events));
}

std::variant<EndpointPtr, InvalidInput> Service::make_new_endpoint(
        storage::EndpointRecord record) const {
    auto made = make_endpoint(std::move(record));
    auto* endpoint = std::get_if<EndpointPtr>(&made);
    if (endpoint == nullptr || !options_.limits.deny_private) return made;
    // Stored endpoints are not checked here: one made before deny_private was set is still
    // listed, and its deliveries are refused by the connection's check.
    if (auto refused = refuse_private_host((*endpoint)->url.host)) return std::move(*refused);
    return made;
}

core::WebhookView Service::view_of(const Endpoint& endpoint) {
    const auto& r = endpoint.record;
    return core::WebhookView{endpoint.id, r.url,       r.events,
                             r.channels,  r.enabled,   r.from_config ? "config" : "api",
                             r.created,   std::nullopt};
}

void Service::create(runtime::ShardId shard, core::WebhookSpec spec,
                     std::function<void(core::WebhookCreated)> done) {
    storage::EndpointRecord record;
    record.url = std::move(spec.url);
    record.events = std::move(spec.events);
    record.channels = std::move(spec.channels);
    record.created = unix_millis();
    if (spec.secret) {
        record.secret = std::move(*spec.secret);
    } else if (auto secret = Secret::generate()) {
        record.secret = secret->text();
    } else {
        return done({core::WebhookAdminStatus::unavailable, "cannot generate a secret", {}});
    }
    {
        std::lock_guard lock(ids_mutex_);
        record.id = "wh_" + ids_.next(record.created).substr(2);
    }
    auto made = make_new_endpoint(record);
    if (auto* error = std::get_if<InvalidInput>(&made)) {
        return done({core::WebhookAdminStatus::invalid, error->message, {}});
    }
    EndpointPtr endpoint = std::get<EndpointPtr>(std::move(made));
    // The canonical text of the URL and secret is what is stored and shown.
    outbox_.save_endpoint(endpoint->record,
                          [this, shard, endpoint, done = std::move(done)](bool ok) mutable {
                              if (ok) registry_.put(endpoint);
                              shards_[shard].post([ok, endpoint, done = std::move(done)] {
                                  if (!ok) {
                                      return done({core::WebhookAdminStatus::unavailable,
                                                   "storage could not store the webhook",
                                                   {}});
                                  }
                                  core::WebhookView view = view_of(*endpoint);
                                  view.secret = endpoint->record.secret;  // shown once, at creation
                                  done({core::WebhookAdminStatus::ok, "", std::move(view)});
                              });
                          });
}

std::vector<core::WebhookView> Service::list() {
    std::vector<core::WebhookView> views;
    for (const EndpointPtr& endpoint : *registry_.snapshot())
        views.push_back(view_of(*endpoint));
    return views;
}

void Service::remove(runtime::ShardId shard, std::string id,
                     std::function<void(core::WebhookAdminStatus)> done) {
    if (!registry_.erase(id)) return done(core::WebhookAdminStatus::not_found);
    dispatcher_->endpoints_changed();
    outbox_.delete_endpoint(id, [this, shard, done = std::move(done)](bool ok) mutable {
        shards_[shard].post([ok, done = std::move(done)] {
            done(ok ? core::WebhookAdminStatus::ok : core::WebhookAdminStatus::unavailable);
        });
    });
}

void Service::deliveries(
        runtime::ShardId shard, std::string id,
        std::function<void(core::WebhookAdminStatus, std::vector<storage::DeliveryAttempt>)> done) {
    if (!registry_.find(id)) return done(core::WebhookAdminStatus::not_found, {});
    outbox_.recent_attempts(
            id, storage::kAttemptsKeptPerEndpoint,
            [this, shard,
             done = std::move(done)](std::vector<storage::DeliveryAttempt> list) mutable {
                shards_[shard].post([list = std::move(list), done = std::move(done)]() mutable {
                    done(core::WebhookAdminStatus::ok, std::move(list));
                });
            });
}

std::vector<core::WebhookStats> Service::stats() {
    std::vector<core::WebhookStats> result;
    for (const EndpointStatsView& s : dispatcher_->stats()) {
        result.push_back(core::WebhookStats{s.endpoint_id, s.attempts, s.successes, s.failures,
                                            s.queue_depth});
    }
    // Endpoints with nothing sent yet show zeros.
    for (const EndpointPtr& endpoint : *registry_.snapshot()) {
        bool listed = false;
        for (const auto& s : result)
            listed = listed || s.id == endpoint->id;
        if (!listed) result.push_back(core::WebhookStats{endpoint->id, 0, 0, 0, 0});
    }
    return result;
}

}  // namespace herald::webhook

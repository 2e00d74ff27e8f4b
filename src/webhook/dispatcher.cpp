#include "webhook/dispatcher.hpp"

#include <algorithm>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "util/clock.hpp"
#include "webhook/delivery.hpp"
#include "webhook/retry_after.hpp"

namespace herald::webhook {

using storage::AttemptOutcome;
using storage::DeliveryAttempt;
using storage::OutboxEvent;

namespace {
constexpr std::string_view kUserAgent = "Herald-Webhooks/0.1";
}

Dispatcher::Dispatcher(net::any_io_executor executor, storage::Outbox& outbox, Registry& registry,
                       RetrySchedule schedule, DispatcherLimits limits)
    : executor_(executor),
      outbox_(outbox),
      registry_(registry),
      schedule_(std::move(schedule)),
      limits_(limits),
      timer_(executor) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(net::ssl::verify_peer);
    if (!limits_.ca_file.empty()) {
        boost::system::error_code ec;
        tls_.load_verify_file(limits_.ca_file, ec);
        if (ec) {
            throw std::invalid_argument("webhook_delivery.ca_file: cannot load " + limits_.ca_file +
                                        ": " + ec.message());
        }
    }
}

Dispatcher::~Dispatcher() = default;

void Dispatcher::add(std::vector<OutboxEvent> events) {
    net::post(executor_,
              [this, events = std::move(events)]() mutable { on_add(std::move(events)); });
}

void Dispatcher::endpoints_changed() {
    net::post(executor_, [this] {
        std::vector<std::string> gone;
        for (const auto& [id, lane] : lanes_) {
            EndpointPtr current = registry_.find(id);
            if (!current || !current->enabled()) {
                gone.push_back(id);
            } else {
                lane->endpoint = std::move(current);
            }
        }
        for (const auto& id : gone)
            drop_lane(id);
        {
            std::lock_guard lock(stats_mutex_);
            std::erase_if(stats_,
                          [this](const auto& entry) { return !registry_.find(entry.first); });
        }
    });
}

void Dispatcher::stop() {
    net::post(executor_, [this] {
        stopped_ = true;
        timer_.cancel();
        for (auto& [id, lane] : lanes_) {
            for (auto& connection : lane->idle)
                connection->close();
            lane->idle.clear();
        }
    });
}

std::shared_ptr<EndpointStats> Dispatcher::stats_of(const std::string& endpoint_id) {
    std::lock_guard lock(stats_mutex_);
    auto& stats = stats_[endpoint_id];
    if (!stats) stats = std::make_shared<EndpointStats>();
    return stats;
}

std::vector<EndpointStatsView> Dispatcher::stats() const {
    std::vector<EndpointStatsView> views;
    std::lock_guard lock(stats_mutex_);
    for (const auto& [id, s] : stats_) {
        views.push_back(EndpointStatsView{id, s->attempts.load(std::memory_order_relaxed),
                                          s->successes.load(std::memory_order_relaxed),
                                          s->failures.load(std::memory_order_relaxed),
                                          s->queue_depth.load(std::memory_order_relaxed)});
    }
    return views;
}

Dispatcher::Lane* Dispatcher::lane_for(const std::string& endpoint_id) {
    if (auto it = lanes_.find(endpoint_id); it != lanes_.end()) return it->second.get();
    EndpointPtr endpoint = registry_.find(endpoint_id);
    if (!endpoint || !endpoint->enabled()) return nullptr;
    auto lane = std::make_unique<Lane>();
    lane->endpoint = std::move(endpoint);
    lane->stats = stats_of(endpoint_id);
    return lanes_.emplace(endpoint_id, std::move(lane)).first->second.get();
}

void Dispatcher::drop_lane(const std::string& endpoint_id) {
    auto it = lanes_.find(endpoint_id);
    if (it == lanes_.end()) return;
    for (auto& connection : it->second->idle)
        connection->close();
    it->second->stats->queue_depth.store(0, std::memory_order_relaxed);
    // Attempts in flight complete into a missing lane and are dropped there.
    lanes_.erase(it);
}

void Dispatcher::on_add(std::vector<OutboxEvent> events) {
    if (stopped_) return;
    const std::int64_t now = unix_millis();
    std::vector<AttemptOutcome> dropped;
    std::vector<Lane*> touched;
    for (OutboxEvent& event : events) {
        Lane* lane = lane_for(event.endpoint_id);
        if (lane == nullptr) {  // endpoint deleted or disabled meanwhile: nothing to send
            dropped.push_back(AttemptOutcome{event.row, AttemptOutcome::Next::done, 0, 0, {}});
            continue;
        }
        if (lane->spilled || lane->held() >= limits_.max_queued) {
            // Left in the outbox; maybe_refill reads it back in row order.
            lane->spilled = true;
            ++lane->unloaded;
        } else {
            take(*lane, std::move(event), now);
        }
        if (std::find(touched.begin(), touched.end(), lane) == touched.end()) {
            touched.push_back(lane);
        }
    }
    if (!dropped.empty()) outbox_.record_attempts(std::move(dropped));
    for (Lane* lane : touched) {
        pump(*lane);
        update_depth(*lane);
        maybe_refill(*lane);
    }
    arm_timer();
}

void Dispatcher::take(Lane& lane, OutboxEvent event, std::int64_t now) {
    lane.loaded_up_to = std::max(lane.loaded_up_to, event.row);
    if (event.attempts == 0 || event.next_attempt <= now) {
        lane.ready.push_back(std::move(event));
    } else {
        const std::int64_t due = event.next_attempt;
        lane.waiting.emplace(due, std::move(event));
    }
}

void Dispatcher::resume(const std::string& endpoint_id) {
    net::post(executor_, [this, endpoint_id] {
        Lane* lane = lane_for(endpoint_id);
        if (lane == nullptr) return;
        lane->spilled = true;  // everything after `loaded_up_to` is in the outbox
        // Read before the first page: events committed before the count reach on_add first
        // (the count replaces what they added), later ones after it.
        outbox_.count_pending(
                lane->endpoint->id, lane->loaded_up_to, [this, endpoint_id](std::size_t count) {
                    net::post(executor_,
                              [this, endpoint_id, count] { on_count(endpoint_id, count); });
                });
        maybe_refill(*lane);
    });
}

void Dispatcher::on_count(const std::string& endpoint_id, std::size_t unloaded) {
    auto it = lanes_.find(endpoint_id);
    if (stopped_ || it == lanes_.end()) return;
    it->second->unloaded = unloaded;
    update_depth(*it->second);
}

void Dispatcher::maybe_refill(Lane& lane) {
    if (stopped_ || !lane.spilled || lane.refilling || lane.held() > limits_.max_queued / 2) {
        return;
    }
    lane.refilling = true;
    const std::size_t room = limits_.max_queued - lane.held();
    outbox_.pending_for(lane.endpoint->id, lane.loaded_up_to, room,
                        [this, id = lane.endpoint->id, room](std::vector<OutboxEvent> events) {
                            net::post(executor_,
                                      [this, id, room, events = std::move(events)]() mutable {
                                          on_refill(id, room, std::move(events));
                                      });
                        });
}

void Dispatcher::on_refill(const std::string& endpoint_id, std::size_t asked,
                           std::vector<OutboxEvent> events) {
    if (stopped_) return;
    auto it = lanes_.find(endpoint_id);
    if (it == lanes_.end()) return;
    Lane& lane = *it->second;
    lane.refilling = false;
    const std::int64_t now = unix_millis();
    std::size_t taken = 0;
    for (OutboxEvent& event : events) {
        if (event.row <= lane.loaded_up_to) continue;
        take(lane, std::move(event), now);
        ++taken;
    }
    lane.unloaded -= std::min(taken, lane.unloaded);
    // A short page is the end of the queue: events committed after the read come through
    // add(), after this (the outbox orders them so).
    if (events.size() < asked) {
        lane.spilled = false;
        lane.unloaded = 0;
    }
    pump(lane);
    update_depth(lane);
    arm_timer();
    maybe_refill(lane);
}

void Dispatcher::pump(Lane& lane) {
    while (!stopped_ && lane.in_flight < limits_.max_in_flight && !lane.ready.empty()) {
        OutboxEvent event = std::move(lane.ready.front());
        lane.ready.pop_front();
        attempt(lane, std::move(event));
    }
}

void Dispatcher::attempt(Lane& lane, OutboxEvent event) {
    const Endpoint& endpoint = *lane.endpoint;
    const std::int64_t started = unix_millis();
    // The URL's target and host passed Boost.URL's parse, the rest is ours: no CR or LF.
    auto request = std::make_shared<DeliveryRequest>();
    std::string& head = request->head;
    head.reserve(320 + endpoint.url.target.size() + endpoint.url.host_header.size());
    head.append("POST ").append(endpoint.url.target).append(" HTTP/1.1\r\nHost: ");
    head.append(endpoint.url.host_header).append("\r\nUser-Agent: ").append(kUserAgent);
    const DeliveryHeaders headers =
            delivery_headers(endpoint.secret, event.webhook_id, started / 1000, event.body);
    for (const auto& [name, value] : headers.fields())
        head.append("\r\n").append(name).append(": ").append(value);
    head.append("\r\nContent-Length: ").append(std::to_string(event.body.size()));
    head.append("\r\n\r\n");  // HTTP/1.1: keep-alive unless said otherwise
    request->body = event.body;

    std::shared_ptr<DeliveryConnection> connection;
    if (!lane.idle.empty()) {
        connection = std::move(lane.idle.back());
        lane.idle.pop_back();
    } else {
        connection = std::make_shared<DeliveryConnection>(executor_, &tls_, endpoint.url,
                                                          limits_.timeout, limits_.deny_private);
    }
    ++lane.in_flight;
    lane.stats->attempts.fetch_add(1, std::memory_order_relaxed);
    connection->send(request, [this, id = endpoint.id, event = std::move(event), started](
                                      const DeliveryResult& result,
                                      std::shared_ptr<DeliveryConnection> connection) mutable {
        on_result(id, std::move(event), started, std::move(connection), result);
    });
}

void Dispatcher::on_result(const std::string& endpoint_id, OutboxEvent event, std::int64_t started,
                           std::shared_ptr<DeliveryConnection> connection,
                           const DeliveryResult& result) {
    if (stopped_) return;
    auto it = lanes_.find(endpoint_id);
    if (it == lanes_.end()) return;  // deleted or disabled while this attempt was out
    Lane& lane = *it->second;
    --lane.in_flight;
    if (result.reusable && lane.idle.size() < limits_.max_idle_connections) {
        lane.idle.push_back(std::move(connection));
    }
    const std::int64_t now = unix_millis();
    const std::uint32_t attempts = event.attempts + 1;
    const std::int64_t first = event.first_attempt != 0 ? event.first_attempt : started;
    // The connection's own words when it has them (a refused address), else the error's.
    std::string error = result.error_text;
    if (error.empty() && result.error) error = result.error.message();
    DeliveryAttempt record{endpoint_id,
                           event.webhook_id,
                           event.type,
                           attempts,
                           static_cast<int>(result.status),
                           std::move(error),
                           now,
                           ""};
    const bool success = !result.error && result.status >= 200 && result.status < 300;
    if (success) {
        lane.stats->successes.fetch_add(1, std::memory_order_relaxed);
        record.outcome = "delivered";
        outbox_.record_attempts({AttemptOutcome{event.row, AttemptOutcome::Next::done, 0, first,
                                                std::move(record)}});
    } else if (!result.error && result.status == 410) {
        lane.stats->failures.fetch_add(1, std::memory_order_relaxed);
        return disable(lane, std::move(event), std::move(record));
    } else {
        lane.stats->failures.fetch_add(1, std::memory_order_relaxed);
        if (record.error.empty()) record.error = "HTTP " + std::to_string(result.status);
        // A receiver that is overloaded or rate-limits us may say when to come back.
        std::chrono::milliseconds asked{0};
        if (!result.error && (result.status == 429 || result.status == 503)) {
            asked = parse_retry_after(result.retry_after, now).value_or(asked);
        }
        const auto delay =
                schedule_.next_delay(attempts, std::chrono::milliseconds(now - first), asked);
        if (!delay) {
            record.outcome = "failed";
            spdlog::warn("webhook: {} to {} failed after {} attempts; giving up", event.webhook_id,
                         endpoint_id, attempts);
            outbox_.record_attempts({AttemptOutcome{event.row, AttemptOutcome::Next::failed, 0,
                                                    first, std::move(record)}});
        } else {
            record.outcome = "retrying";
            const std::int64_t due = now + delay->count();
            outbox_.record_attempts({AttemptOutcome{event.row, AttemptOutcome::Next::retry, due,
                                                    first, std::move(record)}});
            event.attempts = attempts;
            event.first_attempt = first;
            event.next_attempt = due;
            lane.waiting.emplace(due, std::move(event));
            arm_timer();
        }
    }
    pump(lane);
    update_depth(lane);
    maybe_refill(lane);
}

void Dispatcher::disable(Lane& lane, OutboxEvent event, DeliveryAttempt attempt) {
    const std::string id = lane.endpoint->id;
    spdlog::warn("webhook: endpoint {} ({}) answered 410 Gone: disabled", id,
                 lane.endpoint->url.text());
    attempt.outcome = "disabled";
    attempt.error = "HTTP 410: endpoint disabled";
    outbox_.record_attempts({AttemptOutcome{event.row, AttemptOutcome::Next::done, 0,
                                            event.first_attempt, std::move(attempt)}});
    outbox_.disable_endpoint(id);  // persists, and drops its pending events
    registry_.disable(id);         // the router and event source stop making events for it
    drop_lane(id);
}

void Dispatcher::update_depth(Lane& lane) {
    lane.stats->queue_depth.store(static_cast<std::int64_t>(lane.held() + lane.unloaded),
                                  std::memory_order_relaxed);
}

void Dispatcher::arm_timer() {
    if (stopped_) return;
    std::int64_t earliest = 0;
    for (const auto& [id, lane] : lanes_) {
        if (lane->waiting.empty()) continue;
        const std::int64_t due = lane->waiting.begin()->first;
        if (earliest == 0 || due < earliest) earliest = due;
    }
    if (earliest == 0 || (timer_due_ != 0 && timer_due_ <= earliest)) return;
    timer_due_ = earliest;
    timer_.expires_after(
            std::chrono::milliseconds(std::max<std::int64_t>(0, earliest - unix_millis())));
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec == net::error::operation_aborted) return;  // re-armed earlier, or stopped
        on_timer();
    });
}

void Dispatcher::on_timer() {
    timer_due_ = 0;
    if (stopped_) return;
    const std::int64_t now = unix_millis();
    for (auto& [id, lane] : lanes_) {
        auto& waiting = lane->waiting;
        while (!waiting.empty() && waiting.begin()->first <= now) {
            lane->ready.push_back(std::move(waiting.begin()->second));
            waiting.erase(waiting.begin());
        }
        pump(*lane);
        update_depth(*lane);
        maybe_refill(*lane);
    }
    arm_timer();
}

}  // namespace herald::webhook

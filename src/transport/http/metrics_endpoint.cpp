#include "transport/http/metrics_endpoint.hpp"

#include <initializer_list>

namespace herald::transport {
namespace {

void sample(std::string& out, const char* name, std::string_view labels, long long value) {
    add_sample(out, name, labels, value);
}

void describe(std::string& out, const char* name, const char* type, const char* help) {
    describe_metric(out, name, type, help);
}

void add(std::string& out, const char* name, const char* type, const char* help,
         std::string_view labels, long long value) {
    describe(out, name, type, help);
    sample(out, name, labels, value);
}

long long as_number(std::uint64_t value) {
    return static_cast<long long>(value);
}

/// Per endpoint: attempts, successes, failures (every attempt without a 2xx), queue depth.
void render_webhooks(std::string& out, const std::vector<core::WebhookStats>& webhooks) {
    struct Family {
        const char* name;
        const char* type;
        const char* help;
        long long (*value)(const core::WebhookStats&);
    };
    static constexpr Family kFamilies[] = {
            {"herald_webhook_attempts_total", "counter", "Webhook delivery attempts.",
             [](const core::WebhookStats& s) { return static_cast<long long>(s.attempts); }},
            {"herald_webhook_successes_total", "counter", "Webhook attempts answered 2xx.",
             [](const core::WebhookStats& s) { return static_cast<long long>(s.successes); }},
            {"herald_webhook_failures_total", "counter",
             "Webhook attempts without a 2xx answer (error, timeout or other status).",
             [](const core::WebhookStats& s) { return static_cast<long long>(s.failures); }},
            {"herald_webhook_queue_depth", "gauge",
             "Webhook events waiting, retrying or in flight, per endpoint.",
             [](const core::WebhookStats& s) { return static_cast<long long>(s.queue_depth); }},
    };
    for (const Family& family : kFamilies) {
        describe(out, family.name, family.type, family.help);
        for (const auto& stats : webhooks) {
            std::string labels = "{endpoint=\"";
            labels.append(stats.id);
            labels.append("\"}");
            sample(out, family.name, labels, family.value(stats));
        }
    }
}

/// A counter family with one sample per label value.
struct LabelledCounter {
    const char* label;
    const Counter& counter;
};

void add_family(std::string& out, const char* name, const char* help, const char* label,
                std::initializer_list<LabelledCounter> samples) {
    describe(out, name, "counter", help);
    for (const auto& [value, counter] : samples) {
        std::string labels = "{";
        labels.append(label).append("=\"").append(value).append("\"}");
        sample(out, name, labels, as_number(counter.value()));
    }
}

/// Every limit's refusals (API.md Flow control), by the limit that refused.
void render_refusals(std::string& out, const core::ShardMetrics& m) {
    add_family(out, "herald_connections_refused_total",
               "Connections refused at accept: limits.max_connections (503) or "
               "limits.max_connections_per_ip (429).",
               "reason",
               {{"max_connections", m.refused_max_connections}, {"per_ip", m.refused_per_ip}});
    add_family(out, "herald_requests_refused_total",
               "Requests and WebSocket frames refused by a limit: header_size and header_count "
               "(431), body_size (413), long_poll_waiters (503), subscriptions (rate_limited "
               "frame), ws_message_size (close 1009).",
               "reason",
               {{"header_size", m.refused_header_size},
                {"header_count", m.refused_header_count},
                {"body_size", m.refused_body_size},
                {"long_poll_waiters", m.refused_long_poll_waiters},
                {"subscriptions", m.refused_subscriptions},
                {"ws_message_size", m.refused_ws_message_size}});
    add_family(out, "herald_timeouts_total",
               "Connections cut by http.request_timeout: inside a request (slowloris) or idle.",
               "kind", {{"request", m.request_timeouts}, {"idle", m.idle_timeouts}});
}

}  // namespace

std::string render_metrics(const core::ShardMetrics& m,
                           const std::vector<core::WebhookStats>& webhooks,
                           const MetricsSource* storage) {
    std::string out;
    out += "# HELP herald_connections Open connections by transport.\n";
    out += "# TYPE herald_connections gauge\n";
    sample(out, "herald_connections", "{transport=\"http\"}", m.http_connections.value());
    sample(out, "herald_connections", "{transport=\"sse\"}", m.sse_connections.value());
    sample(out, "herald_connections", "{transport=\"stream\"}", m.stream_connections.value());
    sample(out, "herald_connections", "{transport=\"ws\"}", m.ws_connections.value());
    add(out, "herald_tls_connections", "gauge",
        "Open TLS connections (also counted by transport above).", "", m.tls_connections.value());
    add(out, "herald_tls_handshakes", "gauge",
        "TLS connections still in their handshake (counted by limits.max_connections).", "",
        m.tls_handshakes.value());
    add(out, "herald_tls_handshake_failures_total", "counter",
        "TLS handshakes that failed or did not finish within http.request_timeout.", "",
        as_number(m.tls_handshake_failures.value()));
    add(out, "herald_long_poll_waits", "gauge", "Long-poll requests held right now.", "",
        m.long_poll_waits.value());
    add(out, "herald_http_requests_total", "counter", "HTTP requests routed.", "",
        as_number(m.http_requests.value()));
    add(out, "herald_http_errors_total", "counter", "HTTP responses with status 400 or more.", "",
        as_number(m.http_errors.value()));
    add(out, "herald_malformed_requests_total", "counter",
        "Requests that could not be parsed (400, 413 or 431, then closed).", "",
        as_number(m.malformed_requests.value()));
    add(out, "herald_messages_published_total", "counter", "Messages stored.", "",
        as_number(m.messages_published.value()));
    add(out, "herald_messages_deduplicated_total", "counter",
        "Publishes answered with an earlier message of the same id.", "",
        as_number(m.messages_deduplicated.value()));
    add(out, "herald_publish_failures_total", "counter", "Publishes storage refused (503).", "",
        as_number(m.publish_failures.value()));
    add(out, "herald_messages_delivered_total", "counter", "Messages handed to subscribers.", "",
        as_number(m.messages_delivered.value()));
    add(out, "herald_long_poll_timeouts_total", "counter", "Long polls answered 204.", "",
        as_number(m.long_poll_timeouts.value()));
    add(out, "herald_publishes_rate_limited_total", "counter",
        "Publishes refused for going past limits.publish_rate.", "",
        as_number(m.publishes_rate_limited.value()));
    add(out, "herald_slow_consumer_closes_total", "counter",
        "Connections closed for falling behind.", "", as_number(m.slow_consumer_closes.value()));
    render_refusals(out, m);
    add_family(out, "herald_reads_total",
               "History reads (polls, long polls, replays) by where they were answered: the "
               "window of recent messages in memory, or storage.",
               "source", {{"memory", m.reads_from_memory}, {"storage", m.reads_from_storage}});
    add(out, "herald_read_failures_total", "counter",
        "History reads storage could not answer (503, or the stream ended).", "",
        as_number(m.read_failures.value()));
    out += "# HELP herald_publish_latency_seconds Publish receipt to storage commit.\n";
    out += "# TYPE herald_publish_latency_seconds histogram\n";
    out += m.publish_latency.render("herald_publish_latency_seconds");
    render_webhooks(out, webhooks);
    if (storage != nullptr) storage->render_metrics(out);
    return out;
}

}  // namespace herald::transport

#include "cli/bench/report.hpp"

#include <cmath>
#include <cstdio>

#include <boost/json.hpp>

namespace herald::cli::bench {

namespace json = boost::json;

namespace {

double per(double value, double count) {
    return count > 0 ? value / count : 0;
}

/// Percentiles in milliseconds, and how many samples they come from.
json::object latency_figures(LatencySamples& samples) {
    auto ms = [&samples](double p) { return static_cast<double>(samples.percentile(p)) / 1000; };
    return json::object{{"p50_ms", ms(50)},
                        {"p90_ms", ms(90)},
                        {"p99_ms", ms(99)},
                        {"p999_ms", ms(99.9)},
                        {"max_ms", static_cast<double>(samples.max()) / 1000},
                        {"samples", samples.count()}};
}

json::object figures(FanoutResult& r) {
    const double delivered = static_cast<double>(r.deliveries.received - r.deliveries.duplicated);
    json::object out;
    out["target"] = r.target;
    out["transport"] = r.transport;
    out["subscribers"] = r.subscribers;
    out["rate"] = r.rate;  // asked for; 0: as fast as accepted
    out["published"] = r.published;
    out["publish_failures"] = r.publish_failures;
    out["publish_seconds"] = r.publish_seconds;
    out["published_per_second"] = per(static_cast<double>(r.published), r.publish_seconds);
    out["expected_deliveries"] = r.expected;
    out["deliveries"] = r.deliveries.received;
    out["lost"] = r.deliveries.lost;
    out["duplicated"] = r.deliveries.duplicated;
    out["out_of_order"] = r.deliveries.out_of_order;
    out["seconds"] = r.seconds;
    out["deliveries_per_second"] = per(delivered, r.seconds);
    out["latency"] = latency_figures(r.latency);
    const Traffic& t = r.subscribers_traffic;
    out["bytes_in_per_delivery"] = per(static_cast<double>(t.bytes_received), delivered);
    out["bytes_out_per_delivery"] = per(static_cast<double>(t.bytes_sent), delivered);
    out["requests_per_delivery"] = per(static_cast<double>(t.requests), delivered);
    out["subscriber_requests"] = t.requests;
    out["subscriber_bytes_in"] = t.bytes_received;
    out["subscriber_bytes_out"] = t.bytes_sent;
    if (r.server_cpu_seconds) {
        out["server_cpu_seconds"] = *r.server_cpu_seconds;
        out["server_cpu_seconds_per_million"] = per(*r.server_cpu_seconds * 1e6, delivered);
        out["server_cpu_us_per_delivery"] = out["server_cpu_seconds_per_million"];  // same unit
    }
    if (r.tcp_segments) {
        out["tcp_segments"] = *r.tcp_segments;
        out["tcp_segments_per_delivery"] = per(static_cast<double>(*r.tcp_segments), delivered);
    }
    return out;
}

}  // namespace

std::string report_json(std::vector<FanoutResult>& results) {
    json::array runs;
    for (auto& result : results)
        runs.push_back(figures(result));
    return json::serialize(json::object{{"workload", "fanout"}, {"runs", std::move(runs)}});
}

std::string report_table(std::vector<FanoutResult>& results) {
    std::string out;
    char line[512];
    std::snprintf(line, sizeof line,
                  "%-7s %-9s %6s %6s %9s %9s %8s %8s %8s %8s %6s %5s %5s %9s %9s %8s %10s\n",
                  "target", "transport", "subs", "rate", "deliver", "per s", "p50 ms", "p90 ms",
                  "p99 ms", "max ms", "lost", "dup", "ooo", "B in/msg", "B out/msg", "req/msg",
                  "cpu s/M");
    out += line;
    for (auto& r : results) {
        json::object f = figures(r);
        const json::object& l = f["latency"].as_object();
        std::string cpu = "-";
        if (const auto* value = f.if_contains("server_cpu_seconds_per_million")) {
            char text[32];
            std::snprintf(text, sizeof text, "%.1f", value->as_double());
            cpu = text;
        }
        const std::string rate = r.rate > 0 ? std::to_string(std::lround(r.rate)) : "max";
        std::snprintf(
                line, sizeof line,
                "%-7s %-9s %6zu %6s %9llu %9.0f %8.2f %8.2f %8.2f %8.2f %6llu %5llu %5llu %9.1f "
                "%9.1f %8.2f %10s\n",
                r.target.c_str(), r.transport.c_str(), r.subscribers, rate.c_str(),
                static_cast<unsigned long long>(r.deliveries.received),
                f["deliveries_per_second"].as_double(), l.at("p50_ms").as_double(),
                l.at("p90_ms").as_double(), l.at("p99_ms").as_double(), l.at("max_ms").as_double(),
                static_cast<unsigned long long>(r.deliveries.lost),
                static_cast<unsigned long long>(r.deliveries.duplicated),
                static_cast<unsigned long long>(r.deliveries.out_of_order),
                f["bytes_in_per_delivery"].as_double(), f["bytes_out_per_delivery"].as_double(),
                f["requests_per_delivery"].as_double(), cpu.c_str());
        out += line;
    }
    return out;
}

namespace {

json::object throughput_figures(ThroughputResult& r) {
    json::object out;
    out["workload"] = "throughput";
    out["accepted"] = r.accepted;
    out["failed"] = r.failed;
    out["seconds"] = r.seconds;
    out["messages_per_second"] = per(static_cast<double>(r.accepted), r.seconds);
    out["latency"] = latency_figures(r.latency);
    out["bytes_out_per_message"] = per(static_cast<double>(r.traffic.bytes_sent), r.accepted);
    out["bytes_in_per_message"] = per(static_cast<double>(r.traffic.bytes_received), r.accepted);
    if (r.server_cpu_seconds) {
        out["server_cpu_seconds"] = *r.server_cpu_seconds;
        out["server_cpu_seconds_per_million"] =
                per(*r.server_cpu_seconds * 1e6, static_cast<double>(r.accepted));
    }
    return out;
}

json::object idle_figures(const IdleResult& r) {
    json::object out;
    out["target"] = r.target;
    out["transport"] = r.transport;
    out["connections"] = r.connections;
    out["established"] = r.established;
    if (r.rss_before && r.rss_after) {
        out["server_rss_before"] = *r.rss_before;
        out["server_rss_after"] = *r.rss_after;
        out["bytes_per_connection"] = per(static_cast<double>(*r.rss_after - *r.rss_before),
                                          static_cast<double>(r.established));
    }
    return out;
}

}  // namespace

std::string report_table(ThroughputResult& result) {
    json::object f = throughput_figures(result);
    const json::object& l = f["latency"].as_object();
    char text[512];
    std::snprintf(text, sizeof text,
                  "accepted %llu, failed %llu in %.2f s: %.0f msg/s\n"
                  "publish latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n"
                  "bytes per message: out %.1f, in %.1f\n",
                  static_cast<unsigned long long>(result.accepted),
                  static_cast<unsigned long long>(result.failed), result.seconds,
                  f["messages_per_second"].as_double(), l.at("p50_ms").as_double(),
                  l.at("p90_ms").as_double(), l.at("p99_ms").as_double(),
                  l.at("p999_ms").as_double(), l.at("max_ms").as_double(),
                  f["bytes_out_per_message"].as_double(), f["bytes_in_per_message"].as_double());
    std::string out = text;
    if (const auto* cpu = f.if_contains("server_cpu_seconds_per_million")) {
        std::snprintf(text, sizeof text, "server CPU: %.1f s per million messages\n",
                      cpu->as_double());
        out += text;
    }
    return out;
}

std::string report_json(ThroughputResult& result) {
    return json::serialize(throughput_figures(result));
}

std::string report_table(const std::vector<IdleResult>& results) {
    std::string out =
            "target  transport  connections  established  server RSS before  after  bytes/conn\n";
    char line[256];
    for (const auto& r : results) {
        json::object f = idle_figures(r);
        if (const auto* bytes = f.if_contains("bytes_per_connection")) {
            std::snprintf(line, sizeof line, "%-6s  %-9s  %11zu  %11zu  %17lld  %5lld  %10.0f\n",
                          r.target.c_str(), r.transport.c_str(), r.connections, r.established,
                          *r.rss_before, *r.rss_after, bytes->as_double());
        } else {
            std::snprintf(line, sizeof line,
                          "%-6s  %-9s  %11zu  %11zu  (server memory unknown: give --pid)\n",
                          r.target.c_str(), r.transport.c_str(), r.connections, r.established);
        }
        out += line;
    }
    return out;
}

std::string report_json(const std::vector<IdleResult>& results) {
    json::array runs;
    for (const auto& result : results)
        runs.push_back(idle_figures(result));
    return json::serialize(json::object{{"workload", "idle"}, {"runs", std::move(runs)}});
}

}  // namespace herald::cli::bench

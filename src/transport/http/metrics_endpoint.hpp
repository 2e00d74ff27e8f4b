#pragma once

#include <string>
#include <vector>

#include "core/server_metrics.hpp"
#include "core/webhook_admin.hpp"

namespace herald::transport {

/// GET /metrics: Prometheus text exposition format 0.0.4.
/// `webhooks`: per-endpoint delivery counts, one sample each.
std::string render_metrics(const core::ShardMetrics& metrics,
                           const std::vector<core::WebhookStats>& webhooks = {});

}  // namespace herald::transport

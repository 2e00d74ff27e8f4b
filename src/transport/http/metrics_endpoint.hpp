#pragma once

#include <string>
#include <vector>

#include "core/server_metrics.hpp"
#include "core/webhook_admin.hpp"
#include "util/metrics.hpp"

namespace herald::transport {

/// GET /metrics: Prometheus text exposition format 0.0.4.
/// `webhooks`: per-endpoint delivery counts, one sample each; `storage`: the storage backend's
/// own metrics (Redis), if it keeps any.
std::string render_metrics(const core::ShardMetrics& metrics,
                           const std::vector<core::WebhookStats>& webhooks = {},
                           const MetricsSource* storage = nullptr);

}  // namespace herald::transport

#pragma once

#include <string>

#include "core/server_metrics.hpp"

namespace herald::transport {

/// GET /metrics: Prometheus text exposition format 0.0.4.
std::string render_metrics(const core::ServerMetrics& metrics);

}  // namespace herald::transport

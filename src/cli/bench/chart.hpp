#pragma once

#include <string>
#include <vector>

#include "cli/bench/fanout.hpp"

namespace herald::cli::bench {

/// An SVG chart of each run's latency distribution: the share of deliveries (y) that arrived
/// within a latency (x, logarithmic), a line per target and transport.
std::string latency_chart_svg(std::vector<FanoutResult>& results);

}  // namespace herald::cli::bench

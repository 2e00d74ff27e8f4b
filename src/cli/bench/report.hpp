#pragma once

#include <string>
#include <vector>

#include "cli/bench/capacity.hpp"
#include "cli/bench/fanout.hpp"

namespace herald::cli::bench {

/// A readable table, a row per transport.
std::string report_table(std::vector<FanoutResult>& results);

/// The same figures as JSON, for scripts and docs.
std::string report_json(std::vector<FanoutResult>& results);

std::string report_table(ThroughputResult& result);
std::string report_json(ThroughputResult& result);

std::string report_table(const std::vector<IdleResult>& results);
std::string report_json(const std::vector<IdleResult>& results);

}  // namespace herald::cli::bench

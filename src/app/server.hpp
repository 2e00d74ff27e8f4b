#pragma once

#include "config/options.hpp"

namespace herald::app {

/// Builds the server from `options` (the composition root: the only place that names concrete
/// backends), serves until SIGINT or SIGTERM, then shuts down in order. Returns the exit code.
/// Throws ConfigError or std::runtime_error when it cannot start.
int serve(const config::Options& options);

}  // namespace herald::app

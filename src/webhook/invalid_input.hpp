#pragma once

#include <string>

namespace herald::webhook {

/// Why a piece of endpoint configuration was refused. The admin API answers it as a
/// `400 bad_request` with this message; the config loader refuses to start with it.
struct InvalidInput {
    std::string message;
};

}  // namespace herald::webhook

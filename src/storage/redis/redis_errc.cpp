#include "storage/redis/redis_errc.hpp"

#include <string>

namespace herald::storage::redis {

namespace {

// Final and never deleted through its base, whose destructor is protected and not virtual.
class RedisCategory final  // NOLINT(cppcoreguidelines-virtual-class-destructor)
    : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "redis"; }

    std::string message(int value) const override {
        switch (static_cast<RedisErrc>(value)) {
            case RedisErrc::connection_lost: return "connection to Redis lost";
            case RedisErrc::timeout: return "Redis did not reply in time";
            case RedisErrc::not_connected: return "not connected to Redis";
            case RedisErrc::protocol_error: return "Redis protocol error";
            case RedisErrc::auth_failed: return "Redis refused AUTH";
            case RedisErrc::select_failed: return "Redis refused SELECT";
            case RedisErrc::overloaded: return "too many Redis commands awaiting replies";
        }
        return "unknown Redis error " + std::to_string(value);
    }
};

}  // namespace

const boost::system::error_category& redis_category() {
    static const RedisCategory category;
    return category;
}

}  // namespace herald::storage::redis

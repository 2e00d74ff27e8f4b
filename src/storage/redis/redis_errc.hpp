#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace herald::storage::redis {

/// Why a Redis command or connection failed without a reply. A server's `-ERR ...` is not one of
/// these: the command ran (or was refused) and the connection is fine, so it arrives as a
/// RedisReply of kind error with no error_code, as nested errors inside EXEC's array must anyway.
enum class RedisErrc {
    connection_lost = 1,  // socket error or end of stream: sent commands may or may not have run
    timeout,              // the oldest reply was late: the connection is closed as broken
    not_connected,        // issued while there is no connection (closed, or a client that is down)
    protocol_error,       // bytes that are not RESP, or a reply that no command asked for
    auth_failed,          // AUTH refused while connecting: wrong user or password
    select_failed,        // SELECT refused while connecting: no such database
    overloaded,           // more commands awaiting replies than the options' max_pending
};

const boost::system::error_category& redis_category();

inline boost::system::error_code make_error_code(RedisErrc errc) {
    return {static_cast<int>(errc), redis_category()};
}

}  // namespace herald::storage::redis

template <>
struct boost::system::is_error_code_enum<herald::storage::redis::RedisErrc> : std::true_type {};

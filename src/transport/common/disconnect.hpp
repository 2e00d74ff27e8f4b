#pragma once

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

namespace herald::transport {

/// Peers leaving is normal: these end a connection without a log line.
inline bool is_normal_disconnect(boost::system::error_code ec) {
    namespace error = boost::asio::error;
    return ec == error::eof || ec == error::connection_reset || ec == error::operation_aborted ||
           ec == error::broken_pipe;
}

}  // namespace herald::transport

#pragma once

#include <chrono>
#include <cstddef>

#include <boost/asio/io_context.hpp>

#include "core/presence.hpp"
#include "transport/common/keepalive_ticker.hpp"
#include "transport/common/write_coalescer.hpp"
#include "wire/websocket/deflater.hpp"
#include "wire/websocket/inflater.hpp"

namespace herald::transport {

/// What a shard lends its long-lived connections (streams, WebSockets), so that none keeps a
/// timer or a zlib state of its own: docs/ARCHITECTURE.md wants an idle connection under 2 KiB.
/// Thread: its shard's only (presence is shared, and safe from any shard). Owned by HttpServer.
struct ShardServices {
    ShardServices(boost::asio::io_context::executor_type executor,
                  std::chrono::milliseconds tick_period, std::chrono::microseconds coalesce_window,
                  core::Presence& presence_registry, std::size_t max_inflated_bytes)
        : ticker(executor, tick_period),
          coalescer(executor, coalesce_window),
          presence(presence_registry),
          inflater(/*no_context_takeover=*/true, max_inflated_bytes) {}

    KeepaliveTicker ticker;
    WriteCoalescer coalescer;
    core::Presence& presence;
    /// permessage-deflate: every compressed frame this shard sends, messages encoded once.
    wire::websocket::Deflater deflater;
    /// permessage-deflate: client messages, each standing alone (client_no_context_takeover is
    /// always asked for), so one inflater serves every connection of the shard.
    wire::websocket::Inflater inflater;
};

}  // namespace herald::transport

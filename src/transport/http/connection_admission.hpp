#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include <boost/asio/ip/address.hpp>

#include "core/server_metrics.hpp"
#include "runtime/listener.hpp"
#include "transport/http/http_types.hpp"
#include "util/counted_slot.hpp"

namespace herald::transport {

/// Open connections per client address, shared by every shard without a lock: a fixed table of
/// relaxed atomics indexed by a hash of the address (address_key). Memory is bounded (kEntries
/// counters); two addresses sharing an entry only make the limit stricter for both.
/// Thread: any, concurrently. Must outlive every slot taken from it (connections hold theirs
/// until they end, which may be while the server shuts down).
class ConnectionsPerAddress {
public:
    static constexpr std::size_t kEntries = std::size_t{1} << 16;  // 256 KiB of counters

    ConnectionsPerAddress();

    /// A slot for one more connection of `address`, or none when it holds `limit` (0: no bound).
    [[nodiscard]] std::optional<CountedSlot> try_take(const boost::asio::ip::address& address,
                                                      std::uint32_t limit);

private:
    std::unique_ptr<std::atomic<std::uint32_t>[]> counts_;
};

/// Decides, as a connection is accepted, whether it may stay: limits.max_connections (503
/// `unavailable`: the server is full) and limits.max_connections_per_ip (429 `rate_limited`
/// with Retry-After: this client holds too many). A refused client is answered, then closed.
/// Connections from one address land on any shard (SO_REUSEPORT): `per_address` is shared.
/// Thread: any shard, concurrently. Owned by HttpServer.
class ConnectionAdmission {
public:
    ConnectionAdmission(const HttpLimits& limits, core::ServerMetrics& metrics,
                        ConnectionsPerAddress& per_address);

    /// limits.max_connections: call first on every accepted socket, before anything is read or
    /// a TLS handshake starts. False when the server is full: `socket` was refused and closed.
    /// `answer`: write the refusal in plain HTTP before closing; false on a TLS port, whose
    /// clients could not read it (a handshake to refuse would cost what the bound protects).
    [[nodiscard]] bool admit_to_server(runtime::ShardId shard, runtime::Socket& socket,
                                       bool answer = true);

    /// limits.max_connections_per_ip, once the connection's client address is known (the
    /// socket's peer, or what its PROXY header named). Returns the connection's place in its
    /// address's count, to be held until the connection ends (through every session it is
    /// handed to); none when it was refused and closed (answered as `admit_to_server` says).
    [[nodiscard]] std::optional<CountedSlot> admit_client(runtime::ShardId shard,
                                                          runtime::Socket& socket,
                                                          const boost::asio::ip::address& client,
                                                          bool answer = true);

    /// The count of `admit_client`: a slot, or none when `address` holds the limit already.
    /// A trusted proxy (http.trusted_proxies) is not bounded: its slot counts nothing.
    [[nodiscard]] std::optional<CountedSlot> take_address(const boost::asio::ip::address& address);

private:
    const HttpLimits& limits_;
    core::ServerMetrics& metrics_;
    ConnectionsPerAddress& per_address_;
};

}  // namespace herald::transport

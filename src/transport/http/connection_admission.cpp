#include "transport/http/connection_admission.hpp"

#include <string>
#include <string_view>
#include <utility>

#include "transport/common/refusal.hpp"
#include "transport/http/client_address.hpp"
#include "transport/http/forwarded_for.hpp"

namespace herald::transport {

namespace net = boost::asio;

namespace {

/// The table entry of an address: a 64-bit mix (splitmix64's finalizer) of its key.
std::size_t entry_of(const net::ip::address& address) {
    std::uint64_t x = address_key(address);
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return static_cast<std::size_t>(x & (ConnectionsPerAddress::kEntries - 1));
}

}  // namespace

ConnectionsPerAddress::ConnectionsPerAddress()
    : counts_(std::make_unique<std::atomic<std::uint32_t>[]>(kEntries)) {}

std::optional<CountedSlot> ConnectionsPerAddress::try_take(const net::ip::address& address,
                                                           std::uint32_t limit) {
    if (limit == 0) return CountedSlot();  // no bound: nothing to count
    return herald::try_take(counts_[entry_of(address)], limit);
}

ConnectionAdmission::ConnectionAdmission(const HttpLimits& limits, core::ServerMetrics& metrics,
                                         ConnectionsPerAddress& per_address)
    : limits_(limits), metrics_(metrics), per_address_(per_address) {}

std::optional<CountedSlot> ConnectionAdmission::take_address(const net::ip::address& address) {
    // A trusted proxy's connections carry many clients, each named per request: bounding the
    // proxy's own address would refuse the site's users together (docs/ARCHITECTURE.md).
    if (is_trusted_proxy(address, limits_.trusted_proxies)) return CountedSlot();
    return per_address_.try_take(address,
                                 static_cast<std::uint32_t>(limits_.max_connections_per_ip));
}

bool ConnectionAdmission::admit_to_server(runtime::ShardId shard, runtime::Socket& socket,
                                          bool answer) {
    const std::size_t limit = limits_.max_connections;
    if (limit == 0 || metrics_.connections() < static_cast<std::int64_t>(limit)) return true;
    // The server is full: refuse at once rather than queue (API.md Flow control).
    static const std::string kFull = closing_error_answer("503 Service Unavailable", "",
                                                          "unavailable", "too many connections");
    metrics_.shard(shard).refused_max_connections.inc();
    refuse_connection(socket, answer ? kFull : std::string());
    return false;
}

std::optional<CountedSlot> ConnectionAdmission::admit_client(runtime::ShardId shard,
                                                             runtime::Socket& socket,
                                                             const net::ip::address& client,
                                                             bool answer) {
    auto slot = take_address(client);
    if (slot) return slot;
    // This client holds its share: 429 names the client as the cause, where 503 would say
    // the server is unwell. A place frees only when one of its own connections ends, so it
    // is told to wait seconds, not milliseconds.
    static const std::string kTooMany = closing_error_answer(
            "429 Too Many Requests", "Retry-After: 5\r\n", "rate_limited",
            "too many connections from this address (limits.max_connections_per_ip)");
    metrics_.shard(shard).refused_per_ip.inc();
    refuse_connection(socket, answer ? kTooMany : std::string());
    return std::nullopt;
}

}  // namespace herald::transport

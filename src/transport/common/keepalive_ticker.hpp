#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace herald::transport {

/// One timer per shard for every long-lived connection's keepalive, ping and write deadline,
/// instead of a steady_timer each (docs/ARCHITECTURE.md: an idle connection costs almost nothing).
/// It ticks four times per `interval` (the shortest of them); a connection compares tick numbers,
/// so a keepalive goes out between 1 and 1.25 intervals after the last write. Thread: its shard's
/// only.
class KeepaliveTicker {
public:
    using Tick = std::uint32_t;
    static constexpr Tick kTicksPerInterval = 4;

    class Client {
    public:
        virtual ~Client() = default;
        /// Called once per tick while registered; may `remove` itself.
        virtual void on_tick(Tick now) = 0;
        /// The server stops: end the connection (gracefully: what was asked is answered).
        virtual void on_shutdown() = 0;
        /// Registered with a ticker: while it is, the ticker is alive (stop unregisters all).
        bool registered() const { return slot_ != kUnregistered; }

    private:
        friend class KeepaliveTicker;
        static constexpr std::size_t kUnregistered = std::numeric_limits<std::size_t>::max();
        std::size_t slot_ = kUnregistered;
    };

    KeepaliveTicker(boost::asio::io_context::executor_type executor,
                    std::chrono::milliseconds interval);
    /// Forgets the clients left: they no longer point back here.
    ~KeepaliveTicker() { forget(); }
    KeepaliveTicker(const KeepaliveTicker&) = delete;
    KeepaliveTicker& operator=(const KeepaliveTicker&) = delete;

    /// False once stopped: the caller should close.
    [[nodiscard]] bool add(Client& client);
    void remove(Client& client);
    bool contains(const Client& client) const { return client.slot_ != Client::kUnregistered; }

    Tick now() const { return now_; }
    /// Whole ticks in `duration`, at least one.
    Tick ticks(std::chrono::milliseconds duration) const;

    void start();
    /// Server shutdown: tells every client to end, and takes no new one. It goes on ticking, so
    /// that an ending connection's deadlines (websocket.close_timeout) still hold.
    void stop();
    /// The end of shutdown, once the connections had their time: stops ticking and forgets the
    /// clients left, which end with their shard.
    void forget();

private:
    void arm();
    void on_timer(boost::system::error_code ec);

    boost::asio::steady_timer timer_;
    std::chrono::milliseconds period_;
    std::vector<Client*> clients_;
    Tick now_ = 0;
    bool stopped_ = false;
};

}  // namespace herald::transport

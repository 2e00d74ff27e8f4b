#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "core/channel_subscribers.hpp"
#include "runtime/shard_id.hpp"
#include "transport/common/keepalive_ticker.hpp"
#include "transport/http/router.hpp"
#include "util/counted_slot.hpp"

namespace herald::transport {

/// A long-poll request: a one-shot subscriber with a deadline. It subscribes, then reads: what
/// the read finds is the answer (200, or 503 when storage could not read); when it finds
/// nothing, the request is held and answered 200 with the first batch of messages after its
/// cursor, or 204 at the deadline. A client that disconnects frees it at once. At shutdown
/// (the shard's ticker stops) it answers at once, what it collected or 204.
/// Thread: its shard's only. Owned by its timer handler and the batch flush it schedules.
class LongPollWaiter final : public core::Subscriber,
                             public KeepaliveTicker::Client,
                             public std::enable_shared_from_this<LongPollWaiter> {
public:
    /// `held`: its place in limits.max_long_poll_waiters, given back when the waiter ends.
    /// Without `cursor`: messages from the oldest retained, or else the first one published.
    static void start(HttpContext& context, runtime::ShardId shard, const std::string& channel,
                      std::optional<core::Seq> cursor, std::size_t limit,
                      std::chrono::milliseconds wait, CountedSlot held, ExchangePtr exchange);

    LongPollWaiter(HttpContext& context, runtime::ShardId shard, std::string channel,
                   core::Seq after, std::size_t limit, CountedSlot held, ExchangePtr exchange);
    ~LongPollWaiter() override;

    void deliver(const core::MessagePtr& message) override;

    // KeepaliveTicker::Client: only for shutdown (its deadline is its own timer's).
    void on_tick(KeepaliveTicker::Tick) override {}
    void on_shutdown() override { finish(); }

private:
    void arm(std::chrono::milliseconds wait);
    void on_read(const core::ReadResult& read);
    void finish();
    /// Stops waiting: leaves the channel, frees its place, cancels the timer. False when it had
    /// already ended.
    bool end();
    void abort();

    HttpContext& context_;
    runtime::ShardId shard_;
    core::ShardMetrics& metrics_;  // its shard's
    std::string channel_;
    core::Seq after_;
    std::size_t limit_;
    CountedSlot held_;
    ExchangePtr exchange_;
    boost::asio::steady_timer timer_;
    core::Subscription subscription_;
    std::vector<core::MessagePtr> collected_;
    bool done_ = false;
};

}  // namespace herald::transport

#pragma once

#include <array>
#include <atomic>
#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "storage/message_log.hpp"
#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_log_keys.hpp"
#include "storage/redis/redis_log_reader.hpp"

namespace herald::storage::redis {

/// How often the fan-out had to be repaired; a snapshot, for tests and (later) metrics.
struct RedisLogStats {
    std::uint64_t partitions_subscribed = 0;  // of the fan-out, now
    std::uint64_t fanout_messages = 0;        // pub/sub messages received (one per batch)
    std::uint64_t subscriber_reconnects = 0;  // the fan-out connection came back after a loss
    std::uint64_t catch_up_reads = 0;         // reads of a stream for what pub/sub did not bring
    std::uint64_t caught_up_messages = 0;     // messages those reads delivered
    std::uint64_t resets = 0;                 // channels found restarted at seq 1 (new epoch)
};

/// This node's side of the fan-out: turns the partitions' sharded pub/sub, which is at most
/// once, into the commit listener's feed, which is every committed message of every node, once,
/// in seq order per channel.
///
/// Per channel it keeps the next seq the listener must get. A pushed message below it was
/// delivered already (dropped); at it, delivered; beyond it, held while the missing range is
/// read from the channel's stream (a catch-up read), then delivered in order. Every
/// (re)subscription of a partition reads every tracked channel of it from its next seq, since
/// pushes sent while unsubscribed are gone. A channel never seen starts at the first seq that
/// arrives, or at this node's own first append to it when that comes first: an append whose
/// push may be lost (sent before its partition's subscription, or under an older one) is read
/// back from the stream. A channel whose epoch changes (Redis lost it; it restarted at seq 1)
/// is tracked again from seq 1 of the new epoch; stragglers of the old epoch are dropped.
///
/// Partitions: a node subscribes only to the partitions of channels its local subscribers
/// follow (`follow`), and keeps one subscribed for `linger` after its last follower left, so
/// a long poll or a reconnecting client finds it in place. A read or position of a followed
/// channel waits for its partition's subscription (`when_in_place`): a subscriber that follows,
/// then reads, hears every seq past what it read. When this node stops hearing a partition
/// (unwatched, or a connection lost) the forget listener drops what was kept of its channels.
/// Thread: the redis thread only (`stats` from any).
class FanoutTracker {
public:
    /// What `expect` noted before this node sent appends to a channel, for `appended`.
    struct Ticket {
        std::uint64_t generation = 0;  // of the partition's subscription at send; 0: none
        bool counted = false;          // the channel waits for this append to know where to start
    };

    struct Timing {
        std::chrono::milliseconds keepalive;  // PING an idle subscriber connection this often
        std::chrono::milliseconds timeout;    // a read waits this long for its partition
        std::chrono::milliseconds linger;  // a partition stays subscribed after its last follower
    };

    FanoutTracker(const Executor& executor, RedisClient& subscriber, RedisReader& reader,
                  const LogKeys& keys, Timing timing);

    void set_listener(MessageLog::CommitListener listener) { listener_ = std::move(listener); }
    void set_forget_listener(MessageLog::ForgetListener listener) {
        forget_listener_ = std::move(listener);
    }
    /// Hears the fan-out's notices (is_fanout_notice), as they come, on the redis thread.
    void set_notice_listener(std::function<void(std::string_view)> listener) {
        notice_listener_ = std::move(listener);
    }
    /// Called whenever the last watched partition's subscription is confirmed.
    void set_subscribed_handler(std::function<void()> handler) {
        subscribed_handler_ = std::move(handler);
    }
    void start();
    void stop();

    /// One more (or one fewer) local follower of `name`: its partition is watched from the
    /// first, and unwatched `linger` after the last.
    void follow(const std::string& name, bool following);
    /// Runs `done(true)` once `name`'s partition, if watched, is subscribed (at once when it
    /// is), or `done(false)` when it is not within the timeout (Redis unreachable).
    void when_in_place(const std::string& name, std::function<void(bool)> done);
    /// Tells the forget listener of every tracked channel: a connection to Redis was lost, so
    /// what this node heard may no longer be the newest. Tracking goes on (catch-up reads).
    void forget_all();

    /// Every watched partition's subscription is in place: commits reach the listener.
    bool subscribed() const;

    /// The subscriber client's state and pushes.
    void on_state(bool up);
    void on_push(PushKind kind, const std::string& channel, const std::string& payload);

    /// Before this node sends appends to `channel`.
    Ticket expect(const std::string& channel);
    /// After: `first` the lowest seq they stored (0: none stored), `epoch` its epoch.
    void appended(const std::string& channel, Ticket ticket, Seq first, const std::string& epoch);

    RedisLogStats stats() const;

private:
    /// Messages per catch-up read; a longer hole takes several, one after the other.
    static constexpr std::size_t kRepairChunk = 1000;

    struct Channel {
        Seq next = 0;       // the seq the listener gets next; 0 until known
        std::string epoch;  // of `next`'s seqs; empty until known, or once Redis lost it
        std::vector<std::string> retired;     // epochs left behind: their stragglers are dropped
        int own_pending = 0;                  // own appends in flight while `next` is 0
        bool delivered = false;               // until then `next` may still go down
        bool repair_queued = false;           // a catch-up read is queued or in flight
        bool restarted = false;               // the next message delivered is marked `reset`
        std::uint64_t repair_generation = 0;  // the subscription it was read under
        Seq dropped_upto = 0;                 // pushes past this were not held: read them
        std::map<Seq, StoredMessage> ahead;   // pushes past a hole, held until it is read
    };
    using Channels = std::unordered_map<std::string, Channel>;
    using Counter = std::atomic<std::uint64_t>;

    struct Waiter {
        std::chrono::steady_clock::time_point deadline;
        std::function<void(bool)> done;
    };

    // redis_log_fanout.cpp: subscriptions, keepalive, catch-up reads.
    /// Subscribes to the partition's fan-out (now if connected, else on connecting).
    void watch(std::size_t partition);
    /// Unsubscribes and forgets the partition's channels.
    void unwatch(std::size_t partition);
    void unwatch_idle();
    void release_waiters(std::size_t partition, bool in_place);
    void arm_wait_timer();
    void subscribe(std::size_t partition);
    void on_subscribed(std::size_t partition);
    void queue_repair(std::size_t partition, const std::string& name, Channel& channel);
    void pump();
    void start_repair(std::size_t partition, const std::string& name);
    void on_repaired(std::size_t partition, const std::string& name, TailRead&& read);
    void retry_later(std::size_t partition, const std::string& name);
    void schedule_keepalive();

    // redis_log_tracker.cpp: the order of each channel.
    void on_batch(std::size_t partition, FanoutBatch&& batch);
    /// False for a straggler of a retired epoch; a new epoch starts the channel over.
    bool accept_epoch(const std::string& name, Channel& channel, const std::string& epoch);
    void forget_epoch(const std::string& name, Channel& channel);
    /// Applies a catch-up read; true when there is more to read.
    bool apply(const std::string& name, Channel& channel, TailRead&& read,
               std::vector<StoredMessage>& out);
    void take(Channel& channel, StoredMessage&& message, std::vector<StoredMessage>& out);
    void drain(Channel& channel, std::vector<StoredMessage>& out);
    static bool has_hole(const Channel& channel);
    void deliver(Channel& channel, std::vector<StoredMessage>& out);

    RedisClient& subscriber_;
    RedisReader& reader_;
    const LogKeys& keys_;
    MessageLog::CommitListener listener_;
    MessageLog::ForgetListener forget_listener_;
    std::function<void(std::string_view)> notice_listener_;
    std::function<void()> subscribed_handler_;
    std::vector<Channels> channels_;  // by partition
    std::bitset<kPartitions> watched_;
    std::atomic<std::size_t> watched_count_{0};  // watched_.count(), for `stats`
    // Followers: per channel, and per partition (channels followed in it).
    std::unordered_map<std::string, std::size_t> followers_;
    std::array<std::size_t, kPartitions> followed_{};
    std::array<std::chrono::steady_clock::time_point, kPartitions> idle_since_{};
    std::chrono::milliseconds linger_;
    // Reads and positions waiting for their partition's subscription, per partition.
    std::vector<std::vector<Waiter>> waiters_;
    std::size_t waiting_ = 0;
    std::chrono::milliseconds timeout_;
    boost::asio::steady_timer wait_timer_;
    bool wait_armed_ = false;
    // Per partition: a number for its current subscription, 0 while not subscribed.
    std::array<std::uint64_t, kPartitions> generation_{};
    std::uint64_t last_generation_ = 0;
    std::size_t confirmations_due_ = 0;  // of the current (re)subscription, for one log line
    std::size_t channels_to_catch_up_ = 0;
    bool ever_up_ = false;
    bool stopped_ = false;

    std::deque<std::pair<std::size_t, std::string>> repairs_;  // queued catch-up reads
    std::size_t repairs_in_flight_ = 0;
    std::vector<std::pair<std::size_t, std::string>> retries_;  // failed, waiting for the timer
    boost::asio::steady_timer retry_timer_;
    std::chrono::milliseconds retry_delay_;
    bool retry_armed_ = false;
    bool repairs_failing_ = false;  // logged once per outage

    boost::asio::steady_timer keepalive_timer_;
    std::chrono::milliseconds keepalive_;

    Counter fanout_messages_{0};
    Counter subscriber_reconnects_{0};
    Counter catch_up_reads_{0};
    Counter caught_up_messages_{0};
    Counter resets_{0};
};

}  // namespace herald::storage::redis

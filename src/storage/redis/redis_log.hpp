#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "storage/message_log.hpp"
#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_log_fanout.hpp"
#include "storage/redis/redis_log_keys.hpp"
#include "storage/redis/redis_url.hpp"
#include "util/metrics.hpp"

namespace herald::storage::redis {

struct RedisLogOptions {
    RedisUrl url;
    RetentionPolicy retention;
    // storage.redis_timeout: each command's reply (and connecting) within this, else it fails
    // and the connection is dropped; an append then fails, so the publisher gets a 503 in time.
    std::chrono::milliseconds timeout{2000};
    std::string key_prefix = "herald";  // every key starts `<prefix>:{p<N>}:`; no `{` in it
    // A partition's fan-out stays subscribed this long after its last followed channel is left,
    // so the next long poll or reconnecting client does not wait for SSUBSCRIBE again.
    std::chrono::milliseconds follow_linger{30'000};
};

class ScriptRunner;
class RedisReader;
class RedisAppender;

/// The cluster log: many Herald nodes share one Redis (7.0 or later), which decides every
/// channel's order. Key layout: redis_log_keys.hpp; scripts: redis_log_lua.cpp.
///
/// An append is one Lua script per batch (dedupe, seq, stream, retention, index, SPUBLISH),
/// all of a batch in one write. Reads are one script each. The commit listener hears every
/// committed message of the channels this node follows (`follow`), whichever node published
/// it, this one included, from the partitions' sharded pub/sub, made lossless and ordered by
/// FanoutTracker, so the listener may hear of a message before or after its append completes,
/// as it comes.
///
/// Thread: the log owns one thread ("redis") running its io_context, where its two Redis
/// connections live: commands (appends, reads, catch-up reads) and the fan-out subscriber.
/// Every method may be called from any thread and only posts there; completions and the
/// listener run there and must only hand their result on. Calls made after `close` complete at
/// once, on the calling thread, as failed. Not to be closed from its own callbacks.
class RedisLog final : public MessageLog, public MetricsSource {
public:
    /// Starts connecting and returns: Redis may be down (requests then fail until it is up),
    /// though requests in the first `timeout` wait for the first connection. Throws
    /// std::invalid_argument for a key prefix with a brace.
    explicit RedisLog(RedisLogOptions options);
    ~RedisLog() override;
    RedisLog(const RedisLog&) = delete;
    RedisLog& operator=(const RedisLog&) = delete;

    void set_commit_listener(CommitListener listener) override;
    void set_forget_listener(ForgetListener listener) override;
    void follow(std::string_view channel, bool following) override;
    /// Hears what else the followed partitions' fan-out carries (is_fanout_notice: other nodes'
    /// presence changes), on the log's thread: it must only hand them on. Set before `follow`.
    void set_notice_listener(std::function<void(std::string_view)> listener);
    /// Other nodes' commits arrive by pub/sub, after their publishers got their answer.
    bool announces_before_completion() const override { return false; }
    void append_batch(std::vector<AppendRequest> requests, BatchCompletion done) override;
    void read(std::string_view channel, std::optional<Seq> after, std::size_t limit,
              ReadCompletion done) override;
    void channel(std::string_view channel, StateCompletion done) override;
    void channels(std::string_view prefix, ListCompletion done) override;
    /// True once both connections are up, the fan-out is subscribed to every followed
    /// partition, and a PING on the command connection answers.
    void check_ready(std::function<void(bool)> done) override;
    /// Waits for the appends already posted to finish (or fail: at most the timeout), then
    /// closes the connections and stops the thread. Idempotent.
    void close() override;

    /// Any thread.
    RedisLogStats stats() const { return tracker_->stats(); }
    /// herald_redis_*: round trips and their latency, reconnects, the fan-out. Any thread.
    void render_metrics(std::string& out) const override;

private:
    bool closed() const { return closed_.load(std::memory_order_acquire); }
    void start();     // the log's thread
    void shutdown();  // the log's thread

    const RedisLogOptions options_;
    const LogKeys keys_;
    RedisClientStats client_stats_;  // both connections'
    boost::asio::io_context context_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
            context_.get_executor()};
    // Everything below lives on the log's thread; made before it starts, destroyed after.
    std::shared_ptr<RedisClient> commands_;
    std::shared_ptr<RedisClient> subscriber_;
    std::unique_ptr<ScriptRunner> scripts_;
    std::unique_ptr<RedisReader> reader_;
    std::unique_ptr<FanoutTracker> tracker_;
    std::unique_ptr<RedisAppender> appender_;
    std::atomic<bool> closed_{false};
    std::mutex close_mutex_;  // one closer joins
    std::thread thread_;
};

}  // namespace herald::storage::redis

#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "storage/message_log.hpp"
#include "storage/redis/redis_log_fanout.hpp"
#include "storage/redis/redis_log_keys.hpp"
#include "storage/redis/redis_log_scripts.hpp"

namespace herald::storage::redis {

/// RedisLog's appends. A batch is one append script call, whatever its channels' partitions
/// (split past kMessagesPerScript, so no script holds Redis for long), and every call of a batch
/// leaves in one write: one round trip per batch. Results go back in request order. (Measured:
/// a call per partition cost Redis about twice the CPU per message of one per batch, since a
/// shard's batch rarely holds two messages of one partition.)
///
/// A call that fails (no connection, timeout, a script error) fails its messages: the
/// publisher answers 503, never 201 without storage. Other calls of the same batch may have
/// stored theirs, and say so; a timeout may hide a script that ran, which only a
/// client id makes safe to retry (RedisClient: commands are never retried).
/// Thread: the redis thread only; the completion runs there.
class RedisAppender {
public:
    static constexpr std::size_t kMessagesPerScript = 256;

    RedisAppender(ScriptRunner& scripts, const LogKeys& keys, const RetentionPolicy& retention,
                  FanoutTracker& tracker)
        : scripts_(scripts), keys_(keys), retention_(retention), tracker_(tracker) {}

    void append(std::vector<AppendRequest> requests, BatchCompletion done);

    /// Batches sent and not yet completed.
    std::size_t in_flight() const { return in_flight_; }
    /// `drained` runs once nothing is in flight (now, if nothing is).
    void when_drained(std::function<void()> drained);

private:
    struct Batch;
    struct Call;

    void send(const std::shared_ptr<Batch>& batch, const std::shared_ptr<Call>& call);
    void on_reply(Batch& batch, Call& call, boost::system::error_code ec, RedisReply& reply);
    void finish(Batch& batch);

    ScriptRunner& scripts_;
    const LogKeys& keys_;
    const RetentionPolicy& retention_;
    FanoutTracker& tracker_;
    std::size_t in_flight_ = 0;
    std::function<void()> drained_;
    bool failing_ = false;  // a call failed and none succeeded since: logged once
};

}  // namespace herald::storage::redis

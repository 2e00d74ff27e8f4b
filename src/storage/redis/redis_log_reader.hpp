#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/message_log.hpp"
#include "storage/redis/redis_log_keys.hpp"
#include "storage/redis/redis_log_scripts.hpp"

namespace herald::storage::redis {

/// What the read script answered: the channel's position, the epoch of its seqs (empty when
/// Redis does not know the channel), and messages after the cursor. `ok` false: no answer.
struct TailRead {
    bool ok = false;
    ChannelState state;
    std::string epoch;
    std::vector<StoredMessage> messages;  // seq ascending
};

/// Reads of RedisLog, each one script call: one round trip, consistent (a script runs alone),
/// retention by age applied first as the memory log applies it. Also the catch-up reads of the
/// fan-out (FanoutTracker).
/// Thread: the redis thread only; completions run there.
class RedisReader {
public:
    RedisReader(ScriptRunner& scripts, const LogKeys& keys, const RetentionPolicy& retention)
        : scripts_(scripts), keys_(keys), retention_(retention) {}

    /// Messages of `channel` after `after` (from the oldest retained when none), at most
    /// `limit` (0: the position only).
    void read(const std::string& channel, std::optional<Seq> after, std::size_t limit,
              std::function<void(TailRead&&)> done);
    /// MessageLog::read's answer, gap included.
    void read_log(const std::string& channel, std::optional<Seq> after, std::size_t limit,
                  MessageLog::ReadCompletion done);
    /// Every used channel whose name starts with `prefix`, by name: one script per partition,
    /// all sent in one write. None if any partition could not answer.
    void list(const std::string& prefix, MessageLog::ListCompletion done);

private:
    ScriptRunner& scripts_;
    const LogKeys& keys_;
    const RetentionPolicy& retention_;
    bool failing_ = false;  // a read failed and none succeeded since: logged once
};

}  // namespace herald::storage::redis

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/redis/redis_reply.hpp"
#include "storage/stored_message.hpp"

namespace herald::storage::redis {

/// Channels are spread over this many partitions. Fixed for good: a channel's keys and its
/// fan-out live in its partition, so changing it would move every channel.
inline constexpr std::size_t kPartitions = 256;

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum Redis Cluster hashes keys
/// with; "123456789" gives 0x31C3.
std::uint16_t crc16(std::string_view bytes);

/// The partition of `channel`: crc16(channel) % kPartitions. The same on every node and in
/// every version, since all nodes must agree where a channel lives.
std::size_t partition_of(std::string_view channel);

/// The key names of one log (the `key_prefix` of RedisLogOptions, default "herald"). Every key
/// of a channel, and the fan-out of its partition, carry the hash tag `{p<N>}`, N its partition,
/// so a Redis Cluster keeps them on one slot and one script may touch them all:
///
///   <prefix>:{pN}:channels          sorted set, score 0: the partition's channel names (index)
///   <prefix>:{pN}:fanout            sharded pub/sub channel: what the partition's scripts commit
///   <prefix>:{pN}:c:<channel>:meta  hash: last_seq, epoch
///   <prefix>:{pN}:c:<channel>:log   stream: entry id `<seq>-0`, fields `time` (for retention by
///                                   age) and `m`: the message's fields (encode_message_fields)
///   <prefix>:{pN}:c:<channel>:ids   hash: client id -> "<seq>:<time>" (deduplication)
///   <prefix>:{pN}:c:<channel>:idt   sorted set: client id by time, to expire `ids`
///
/// The prefix must not hold `{`: the first `{...}` of a key is its hash tag.
/// Thread: a plain value.
class LogKeys {
public:
    explicit LogKeys(std::string prefix) : prefix_(std::move(prefix)) {}

    const std::string& prefix() const { return prefix_; }
    std::string index(std::size_t partition) const;
    std::string fanout(std::size_t partition) const;
    /// `<prefix>:{pN}:c:`: a channel's keys are this, its name, and a suffix (the scripts add
    /// them, since a batch holds many channels).
    std::string channel_base(std::size_t partition) const;
    /// `<prefix>:{pN}:c:<channel>:<suffix>`, suffix one of meta, log, ids, idt.
    std::string channel_key(std::string_view channel, std::string_view suffix) const;
    /// The partition a fan-out channel name stands for; none for a name of another log.
    std::optional<std::size_t> partition_of_fanout(std::string_view name) const;

private:
    std::string tag(std::size_t partition) const;  // `<prefix>:{pN}`

    std::string prefix_;
};

/// Appends `bytes` to `out` as a netstring: `<length>:<bytes>`.
void append_netstring(std::string& out, std::string_view bytes);
/// The netstrings `payload` is made of, all of it; none when it is not that. Views into it.
std::optional<std::vector<std::string_view>> split_netstrings(std::string_view payload);

/// A message's id, event, data and time as netstrings (`<length>:<bytes>`): what a stream entry
/// keeps in its field `m` and a fan-out message carries after each seq. Made once, by the node
/// that publishes, so that the append script only joins it to the seq it takes.
std::string encode_message_fields(std::string_view id, std::string_view event,
                                  std::string_view data, std::int64_t time);

/// What one fan-out message carries: messages the append script just stored in one channel,
/// seq ascending. Its payload is netstrings (`<length>:<bytes>`): channel, epoch, count, then
/// per message seq and its fields (encode_message_fields). `data` is the publisher's JSON text, as
/// it was.
struct FanoutBatch {
    std::string channel;
    std::string epoch;
    std::vector<StoredMessage> messages;
};

/// What else a partition's fan-out carries besides commit batches (which begin with a digit,
/// their first netstring's length): a notice, whose first byte says what it is. `p`: a presence
/// change (cluster/redis_presence.hpp).
inline bool is_fanout_notice(std::string_view payload) {
    return !payload.empty() && (payload.front() < '0' || payload.front() > '9');
}

/// The batch of a fan-out payload; none when it is not one (a bug, or another writer).
std::optional<FanoutBatch> decode_fanout(std::string_view payload);

/// The entries of an XRANGE reply ([[id, [field, value, ...]], ...]) as messages of `channel`;
/// none when the reply is not that.
std::optional<std::vector<StoredMessage>> parse_entries(const std::string& channel,
                                                        RedisReply& reply);

}  // namespace herald::storage::redis

#include "storage/redis/redis_log_reader.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

#include "util/clock.hpp"

namespace herald::storage::redis {

namespace {

// A cursor above 2^53 is passed as 2^53: the script's numbers are doubles, exact up to there,
// and any such cursor is beyond every last_seq, as the real one is.
constexpr Seq kLargestExactSeq = Seq{1} << 53;
// XRANGE's COUNT; nobody keeps more history than this per channel.
constexpr std::size_t kLargestLimit = std::size_t{1} << 30;

/// The script's answer as a TailRead; not ok when it is not one.
TailRead parse_read(const std::string& channel, RedisReply& reply) {
    TailRead read;
    auto& parts = reply.elements();
    if (!reply.is_array() || parts.size() != 4 || parts[0].kind() != RedisReply::Kind::integer ||
        parts[2].kind() != RedisReply::Kind::integer) {
        return read;
    }
    auto messages = parse_entries(channel, parts[3]);
    if (!messages) return read;
    read.state = ChannelState{channel, static_cast<Seq>(parts[2].integer()),
                              static_cast<Seq>(parts[0].integer())};
    read.epoch = parts[1].take_text();
    read.messages = std::move(*messages);
    read.ok = true;
    return read;
}

/// ZRANGEBYLEX bounds of the names starting with `prefix`: [prefix, the next prefix).
std::pair<std::string, std::string> lex_range(const std::string& prefix) {
    if (prefix.empty()) return {"-", "+"};
    std::string next = prefix;
    while (!next.empty() && static_cast<unsigned char>(next.back()) == 0xff) {
        next.pop_back();
    }
    if (next.empty()) return {std::string("[").append(prefix), "+"};
    next.back() = static_cast<char>(static_cast<unsigned char>(next.back()) + 1);
    return {std::string("[").append(prefix), std::string("(").append(next)};
}

}  // namespace

void RedisReader::read(const std::string& channel, std::optional<Seq> after, std::size_t limit,
                       std::function<void(TailRead&&)> done) {
    const std::int64_t cutoff = unix_millis() - retention_.max_age.count();
    const std::string after_arg = after ? std::to_string(std::min(*after, kLargestExactSeq)) : "-1";
    scripts_.run(
            LogScript::read, 2,
            [this, channel, after_arg, limit = std::min(limit, kLargestLimit),
             cutoff](std::vector<std::string>& command) {
                command.push_back(keys_.channel_key(channel, "meta"));
                command.push_back(keys_.channel_key(channel, "log"));
                command.push_back(after_arg);
                command.push_back(std::to_string(limit));
                command.push_back(std::to_string(cutoff));
                command.push_back(std::to_string(retention_.max_messages));
            },
            [this, channel, done = std::move(done)](boost::system::error_code ec,
                                                    RedisReply reply) {
                TailRead read;
                if (!ec) read = parse_read(channel, reply);
                if (!read.ok && !std::exchange(failing_, true)) {
                    spdlog::error("redis: reading {} failed: {}; reads fail until Redis answers",
                                  channel, ec ? ec.message() : to_string(reply));
                } else if (read.ok && std::exchange(failing_, false)) {
                    spdlog::info("redis: reads succeed again");
                }
                done(std::move(read));
            });
}

void RedisReader::read_log(const std::string& channel, std::optional<Seq> after, std::size_t limit,
                           MessageLog::ReadCompletion done) {
    read(channel, after, limit, [after, done = std::move(done)](TailRead&& read) {
        ReadResult result;
        if (!read.ok) {
            result.failed = true;  // never a gap: the messages may well exist
            return done(std::move(result));
        }
        result.last_seq = read.state.last_seq;
        if (after) result.gap = gap_for(read.state, *after);
        result.messages = std::move(read.messages);
        done(std::move(result));
    });
}

void RedisReader::list(const std::string& prefix, MessageLog::ListCompletion done) {
    struct Listing {
        std::vector<ChannelState> channels;
        std::size_t waiting = kPartitions;
        bool failed = false;
        MessageLog::ListCompletion done;
    };
    auto listing = std::make_shared<Listing>();
    listing->done = std::move(done);
    const auto [min, max] = lex_range(prefix);
    const std::string cutoff = std::to_string(unix_millis() - retention_.max_age.count());
    const std::string max_messages = std::to_string(retention_.max_messages);
    for (std::size_t partition = 0; partition < kPartitions; ++partition) {
        scripts_.run(
                LogScript::list, 1,
                [this, partition, min = min, max = max, cutoff,
                 max_messages](std::vector<std::string>& command) {
                    command.push_back(keys_.index(partition));
                    command.push_back(keys_.channel_base(partition));
                    command.push_back(min);
                    command.push_back(max);
                    command.push_back(cutoff);
                    command.push_back(max_messages);
                },
                [listing](boost::system::error_code ec, RedisReply reply) {
                    auto& parts = reply.elements();
                    if (ec || !reply.is_array() || parts.size() % 3 != 0) {
                        if (!std::exchange(listing->failed, true)) {
                            spdlog::error("redis: listing channels failed: {}",
                                          ec ? ec.message() : to_string(reply));
                        }
                    } else {
                        for (std::size_t i = 0; i < parts.size(); i += 3) {
                            listing->channels.push_back(ChannelState{
                                    parts[i].take_text(), static_cast<Seq>(parts[i + 1].integer()),
                                    static_cast<Seq>(parts[i + 2].integer())});
                        }
                    }
                    if (--listing->waiting != 0) return;
                    if (listing->failed) return listing->done(std::nullopt);
                    std::sort(listing->channels.begin(), listing->channels.end(),
                              [](const ChannelState& a, const ChannelState& b) {
                                  return a.channel < b.channel;
                              });
                    listing->done(std::move(listing->channels));
                });
    }
}

}  // namespace herald::storage::redis

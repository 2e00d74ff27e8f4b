// What a Redis server (or something pretending to be one) sends a node: RESP bytes through the
// connection's reader, each reply read as stream entries (a read script's answer), and the
// bytes as a fan-out payload (a commit batch or a notice). Bad input is refused, never trusted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/redis/redis_log_keys.hpp"
#include "storage/redis/redis_reply.hpp"
#include "storage/redis/redis_resp.hpp"

namespace redis = herald::storage::redis;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    redis::RespReader reader;
    if (reader.feed(bytes.data(), bytes.size())) {
        redis::RedisReply reply = redis::RedisReply::make_error("");
        for (int replies = 0; replies < 64; ++replies) {
            if (reader.next(reply) != redis::RespReader::Next::reply) break;
            (void)redis::parse_entries("fuzz", reply);
        }
    }
    if (redis::is_fanout_notice(bytes)) {
        (void)redis::split_netstrings(bytes.substr(1));
    } else {
        (void)redis::decode_fanout(bytes);
    }
    return 0;
}

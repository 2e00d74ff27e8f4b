#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "storage/redis/redis_reply.hpp"

struct redisReader;  // hiredis's

namespace herald::storage::redis {

/// Appends one command, `verb` (when not empty) then `args`, to `out` in RESP (an array of bulk
/// strings), formatted by hiredis. Binary-safe: arguments may hold any bytes.
void append_command(std::string& out, std::string_view verb, std::span<const std::string> args);

/// The RESP parser of one connection (hiredis's reader): bytes in as they arrive, whole replies
/// out, however the replies were split over reads. An array declaring more than a million
/// elements is an error, before anything is allocated for it.
/// Thread: its owner's.
class RespReader {
public:
    enum class Next { reply, need_more, error };

    RespReader();
    ~RespReader();
    RespReader(const RespReader&) = delete;
    RespReader& operator=(const RespReader&) = delete;

    /// Keeps a copy of `bytes` until the replies they hold are taken. False if out of memory.
    [[nodiscard]] bool feed(const char* bytes, std::size_t size);
    /// The next whole reply into `reply`, `need_more` until one is complete, or `error` for
    /// bytes that are not RESP (the reader is then useless: close the connection).
    [[nodiscard]] Next next(RedisReply& reply);
    /// What was wrong, after `error`.
    std::string error_text() const;

private:
    redisReader* reader_;
    bool too_large_ = false;  // the error was an array over the bound
};

}  // namespace herald::storage::redis

#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct redisReply;  // hiredis's; only the RESP reader hands one over

namespace herald::storage::redis {

/// One reply of a Redis server as an owned value, so that no caller sees hiredis types: RESP2's
/// nil, integer, simple string (status), error, bulk string and array of replies.
/// Thread: a plain value; copy or move it anywhere.
class RedisReply {
public:
    enum class Kind { nil, integer, status, error, string, array };

    RedisReply() = default;  // nil
    static RedisReply make_integer(std::int64_t value);
    static RedisReply make_status(std::string text);
    static RedisReply make_error(std::string text);
    static RedisReply make_string(std::string bytes);
    static RedisReply make_array(std::vector<RedisReply> elements);
    /// A deep copy of hiredis's reply tree.
    static RedisReply from_hiredis(const ::redisReply& reply);

    Kind kind() const { return kind_; }
    bool is_nil() const { return kind_ == Kind::nil; }
    bool is_error() const { return kind_ == Kind::error; }
    bool is_string() const { return kind_ == Kind::string; }
    bool is_array() const { return kind_ == Kind::array; }

    /// The value of an integer; 0 for the other kinds.
    std::int64_t integer() const { return integer_; }
    /// The bytes of a status, error or bulk string; empty for the other kinds.
    const std::string& text() const { return text_; }
    /// Moves the bytes out: a large payload need not be copied on its way to a subscriber.
    std::string take_text() { return std::move(text_); }
    /// The elements of an array; empty for the other kinds.
    const std::vector<RedisReply>& elements() const { return elements_; }
    std::vector<RedisReply>& elements() { return elements_; }

    bool operator==(const RedisReply&) const = default;

private:
    Kind kind_ = Kind::nil;
    std::int64_t integer_ = 0;
    std::string text_;
    std::vector<RedisReply> elements_;
};

/// A short form for logs and test failures, like redis-cli's: `"OK"`, `(integer) 3`,
/// `(error) ERR ...`, `(nil)`, `["a", (integer) 1]`. Long strings are cut.
std::string to_string(const RedisReply& reply);

}  // namespace herald::storage::redis

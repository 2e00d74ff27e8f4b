#include "storage/redis/redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace herald::storage::redis {

namespace {

constexpr std::size_t kShownBytes = 64;  // to_string: enough to recognise a value in a log

}  // namespace

RedisReply RedisReply::make_integer(std::int64_t value) {
    RedisReply reply;
    reply.kind_ = Kind::integer;
    reply.integer_ = value;
    return reply;
}

RedisReply RedisReply::make_status(std::string text) {
    RedisReply reply;
    reply.kind_ = Kind::status;
    reply.text_ = std::move(text);
    return reply;
}

RedisReply RedisReply::make_error(std::string text) {
    RedisReply reply = make_status(std::move(text));
    reply.kind_ = Kind::error;
    return reply;
}

RedisReply RedisReply::make_string(std::string bytes) {
    RedisReply reply = make_status(std::move(bytes));
    reply.kind_ = Kind::string;
    return reply;
}

RedisReply RedisReply::make_array(std::vector<RedisReply> elements) {
    RedisReply reply;
    reply.kind_ = Kind::array;
    reply.elements_ = std::move(elements);
    return reply;
}

RedisReply RedisReply::from_hiredis(const ::redisReply& reply) {
    switch (reply.type) {
        case REDIS_REPLY_INTEGER: return make_integer(reply.integer);
        case REDIS_REPLY_STATUS: return make_status(std::string(reply.str, reply.len));
        case REDIS_REPLY_ERROR: return make_error(std::string(reply.str, reply.len));
        case REDIS_REPLY_STRING: return make_string(std::string(reply.str, reply.len));
        case REDIS_REPLY_ARRAY: {
            std::vector<RedisReply> elements;
            elements.reserve(reply.elements);
            for (std::size_t i = 0; i < reply.elements; ++i) {
                elements.push_back(from_hiredis(*reply.element[i]));
            }
            return make_array(std::move(elements));
        }
        default: return {};  // REDIS_REPLY_NIL; RESP2 has no other type
    }
}

std::string to_string(const RedisReply& reply) {
    // Appends rather than `literal + string`: GCC 12 at -O3 warns falsely (-Wrestrict) on those.
    auto shown = [](std::string out, const std::string& text, std::string_view suffix = {}) {
        if (text.size() <= kShownBytes) {
            out.append(text);
        } else {
            out.append(text, 0, kShownBytes);
            out.append("...(").append(std::to_string(text.size())).append(" bytes)");
        }
        return out.append(suffix);
    };
    switch (reply.kind()) {
        case RedisReply::Kind::nil: return "(nil)";
        case RedisReply::Kind::integer: return "(integer) " + std::to_string(reply.integer());
        case RedisReply::Kind::status: return shown({}, reply.text());
        case RedisReply::Kind::error: return shown("(error) ", reply.text());
        case RedisReply::Kind::string: return shown("\"", reply.text(), "\"");
        case RedisReply::Kind::array: {
            std::string out = "[";
            for (const auto& element : reply.elements()) {
                if (out.size() > 1) out += ", ";
                out += to_string(element);
            }
            return out + "]";
        }
    }
    return "(unknown)";
}

}  // namespace herald::storage::redis

#include "storage/redis/redis_resp.hpp"

#include <memory>
#include <new>
#include <vector>

#include <hiredis/hiredis.h>

namespace herald::storage::redis {

namespace {

struct FreeReply {
    void operator()(::redisReply* reply) const { freeReplyObject(reply); }
};

}  // namespace

void append_command(std::string& out, std::string_view verb, std::span<const std::string> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size() + 1);
    lengths.reserve(args.size() + 1);
    if (!verb.empty()) {
        argv.push_back(verb.data());
        lengths.push_back(verb.size());
    }
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    char* formatted = nullptr;
    const long long size = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()),
                                                  argv.data(), lengths.data());
    // Its only failure is malloc's: report it as std::string's own append would.
    if (size < 0) throw std::bad_alloc();
    out.append(formatted, static_cast<std::size_t>(size));
    redisFreeCommand(formatted);
}

RespReader::RespReader() : reader_(redisReaderCreate()) {
    if (reader_ == nullptr) throw std::bad_alloc();
}

RespReader::~RespReader() {
    redisReaderFree(reader_);
}

bool RespReader::feed(const char* bytes, std::size_t size) {
    return redisReaderFeed(reader_, bytes, size) == REDIS_OK;
}

RespReader::Next RespReader::next(RedisReply& reply) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) return Next::error;
    if (raw == nullptr) return Next::need_more;
    const std::unique_ptr<::redisReply, FreeReply> tree(static_cast<::redisReply*>(raw));
    reply = RedisReply::from_hiredis(*tree);
    return Next::reply;
}

std::string RespReader::error_text() const {
    return reader_->errstr;
}

}  // namespace herald::storage::redis

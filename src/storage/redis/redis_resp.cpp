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

// hiredis 0.14 allocates an array's element vector as soon as it reads the header (`*<n>`),
// before any element has arrived: a peer that declares two billion elements would have a node
// allocate 16 GB (found by fuzz_redis_replies). No reply of ours comes near this bound (reads
// take 1,000 entries; a presence hash of 100,000 members is 200,000 elements).
constexpr int kMaxArrayElements = 1 << 20;

/// hiredis's own object functions, with an array's size checked first.
struct BoundedFunctions {
    BoundedFunctions() {
        ::redisReader* probe = redisReaderCreate();
        if (probe == nullptr) throw std::bad_alloc();
        functions = *probe->fn;
        redisReaderFree(probe);
        create_array = functions.createArray;
        functions.createArray = &bounded_create_array;
    }

    static void* bounded_create_array(const ::redisReadTask* task, int elements) {
        // NULL is hiredis's out-of-memory: the reader stops with an error.
        if (elements > kMaxArrayElements) {
            if (task->privdata != nullptr) *static_cast<bool*>(task->privdata) = true;
            return nullptr;
        }
        return instance().create_array(task, elements);
    }

    static BoundedFunctions& instance() {
        static BoundedFunctions functions;  // made once; never changed after
        return functions;
    }

    ::redisReplyObjectFunctions functions{};
    void* (*create_array)(const ::redisReadTask*, int) = nullptr;
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

RespReader::RespReader()
    : reader_(redisReaderCreateWithFunctions(&BoundedFunctions::instance().functions)) {
    if (reader_ == nullptr) throw std::bad_alloc();
    reader_->privdata = &too_large_;
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
    if (too_large_) {
        return "an array of more than " + std::to_string(kMaxArrayElements) + " elements";
    }
    return reader_->errstr;
}

}  // namespace herald::storage::redis

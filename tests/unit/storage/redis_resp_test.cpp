#include "storage/redis/redis_resp.hpp"

#include <string>

#include <gtest/gtest.h>

#include "storage/redis/redis_reply.hpp"

namespace herald::storage::redis {
namespace {

RespReader::Next feed_and_read(RespReader& reader, const std::string& bytes, RedisReply& reply) {
    EXPECT_TRUE(reader.feed(bytes.data(), bytes.size()));
    return reader.next(reply);
}

TEST(RespReader, RepliesSplitOverReadsComeOutWhole) {
    RespReader reader;
    RedisReply reply = RedisReply::make_error("");
    EXPECT_EQ(feed_and_read(reader, "*2\r\n$3\r\nfo", reply), RespReader::Next::need_more);
    EXPECT_EQ(feed_and_read(reader, "o\r\n:7\r\n+OK\r\n", reply), RespReader::Next::reply);
    EXPECT_EQ(reply, RedisReply::make_array(
                             {RedisReply::make_string("foo"), RedisReply::make_integer(7)}));
    EXPECT_EQ(reader.next(reply), RespReader::Next::reply);
    EXPECT_EQ(reply, RedisReply::make_status("OK"));
}

// Found by fuzz_redis_replies (its input, cut to the header that mattered): hiredis allocated
// the element vector of a declared array before any element arrived, 16 GB for this one.
TEST(RespReader, AnArrayDeclaringBillionsOfElementsIsAnErrorNotAnAllocation) {
    RespReader reader;
    RedisReply reply = RedisReply::make_error("");
    EXPECT_EQ(feed_and_read(reader, "*2\r\n*2000000000\r\n$1\r\n", reply), RespReader::Next::error);
    EXPECT_EQ(reader.error_text(), "an array of more than 1048576 elements");
}

TEST(RespReader, LargeArraysWithinTheBoundAreRead) {
    RespReader reader;
    std::string bytes = "*100000\r\n";
    for (int i = 0; i < 100'000; ++i) {
        bytes += ":1\r\n";
    }
    RedisReply reply = RedisReply::make_error("");
    ASSERT_EQ(feed_and_read(reader, bytes, reply), RespReader::Next::reply);
    EXPECT_EQ(reply.elements().size(), 100'000u);
}

TEST(RespReader, BytesThatAreNotRespAreAnError) {
    RespReader reader;
    RedisReply reply = RedisReply::make_error("");
    EXPECT_EQ(feed_and_read(reader, "?what\r\n", reply), RespReader::Next::error);
    EXPECT_FALSE(reader.error_text().empty());
}

}  // namespace
}  // namespace herald::storage::redis

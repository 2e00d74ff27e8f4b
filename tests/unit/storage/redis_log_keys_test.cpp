#include "storage/redis/redis_log_keys.hpp"  // first: proves the header is self-contained

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace herald::storage::redis {
namespace {

std::string netstring(const std::string& text) {
    return std::to_string(text.size()).append(":").append(text);
}

/// The hash tag of a key: what Redis Cluster hashes to place it.
std::string tag_of(const std::string& key) {
    const auto open = key.find('{');
    const auto close = key.find('}', open);
    return key.substr(open + 1, close - open - 1);
}

TEST(RedisLogKeys, Crc16IsRedisClustersXmodem) {
    EXPECT_EQ(crc16("123456789"), 0x31C3);  // the XMODEM check value, as in Redis's crc16.c
    EXPECT_EQ(crc16(""), 0);
    EXPECT_EQ(partition_of("123456789"), 0x31C3u % kPartitions);
}

TEST(RedisLogKeys, EveryKeyOfAChannelSharesItsPartitionsHashTag) {
    const LogKeys keys("herald");
    std::set<std::size_t> partitions;
    for (const std::string channel : {"room:1", "room:2", "chat:{odd}", "", "ünïcode"}) {
        const std::size_t partition = partition_of(channel);
        partitions.insert(partition);
        const std::string tag = std::string("p").append(std::to_string(partition));
        for (const char* suffix : {"meta", "log", "ids", "idt"}) {
            EXPECT_EQ(tag_of(keys.channel_key(channel, suffix)), tag) << channel << suffix;
        }
        EXPECT_EQ(tag_of(keys.index(partition)), tag);
        EXPECT_EQ(tag_of(keys.fanout(partition)), tag);
    }
    EXPECT_GT(partitions.size(), 1u) << "channels spread over partitions";
    EXPECT_EQ(keys.channel_key("room:1", "meta"),
              std::string("herald:{p")
                      .append(std::to_string(partition_of("room:1")))
                      .append("}:c:room:1:meta"));
    EXPECT_EQ(keys.index(17), "herald:{p17}:channels");
    EXPECT_EQ(keys.fanout(17), "herald:{p17}:fanout");
}

TEST(RedisLogKeys, FanoutNamesMapBackToTheirPartition) {
    const LogKeys keys("herald");
    for (std::size_t partition : {0u, 17u, 255u}) {
        EXPECT_EQ(keys.partition_of_fanout(keys.fanout(partition)), partition);
    }
    EXPECT_FALSE(keys.partition_of_fanout("other:{p17}:fanout"));
    EXPECT_FALSE(keys.partition_of_fanout("herald:{p256}:fanout"));
    EXPECT_FALSE(keys.partition_of_fanout("herald:{p17}:channels"));
    EXPECT_FALSE(keys.partition_of_fanout("herald:{px}:fanout"));
}

TEST(RedisLogKeys, DecodesAFanoutPayloadByteForByte) {
    const std::string data = "{ \"text\" : \"a:b\\n\\u00e9\",\n \"n\":1 }";  // spacing kept
    const std::string payload =
            netstring("room:1") + netstring("1700000000123456") + netstring("2") + netstring("7") +
            netstring("id-7") + netstring("chat") + netstring(data) + netstring("1700000000123") +
            netstring("8") + netstring("") + netstring("") + netstring("null") + netstring("-5");
    const auto batch = decode_fanout(payload);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->channel, "room:1");
    EXPECT_EQ(batch->epoch, "1700000000123456");
    ASSERT_EQ(batch->messages.size(), 2u);
    const StoredMessage& first = batch->messages[0];
    EXPECT_EQ(first.channel, "room:1");
    EXPECT_EQ(first.seq, 7u);
    EXPECT_EQ(first.id, "id-7");
    EXPECT_EQ(first.event, "chat");
    EXPECT_EQ(first.data, data);
    EXPECT_EQ(first.time, 1700000000123);
    EXPECT_EQ(batch->messages[1].seq, 8u);
    EXPECT_EQ(batch->messages[1].data, "null");
    EXPECT_EQ(batch->messages[1].time, -5);
}

TEST(RedisLogKeys, RejectsMalformedPayloads) {
    const std::string one =
            netstring("1") + netstring("x") + netstring("e") + netstring("1") + netstring("5");
    const std::string head = netstring("c") + netstring("epoch");
    EXPECT_TRUE(decode_fanout(head + netstring("1") + one));
    EXPECT_FALSE(decode_fanout(""));
    EXPECT_FALSE(decode_fanout(head + netstring("0"))) << "no messages";
    EXPECT_FALSE(decode_fanout(head + netstring("2") + one)) << "fewer than counted";
    EXPECT_FALSE(decode_fanout(head + netstring("1") + one + "x")) << "trailing bytes";
    EXPECT_FALSE(decode_fanout(head + netstring("2") + one + one)) << "seqs must ascend";
    EXPECT_FALSE(decode_fanout(head + "99:short")) << "length past the end";
    EXPECT_FALSE(decode_fanout(head + netstring("1") + netstring("seven") + one.substr(3)));
}

TEST(RedisLogKeys, ParsesStreamEntries) {
    auto field = [](const char* text) { return RedisReply::make_string(text); };
    const std::string fields = encode_message_fields("m1", "message", "[1, 2]", 1700000000000);
    EXPECT_EQ(fields, "2:m17:message6:[1, 2]13:1700000000000");
    RedisReply reply = RedisReply::make_array({RedisReply::make_array(
            {field("12-0"), RedisReply::make_array({field("time"), field("1700000000000"),
                                                    field("m"), field(fields.c_str())})})});
    const auto messages = parse_entries("c", reply);
    ASSERT_TRUE(messages);
    ASSERT_EQ(messages->size(), 1u);
    EXPECT_EQ((*messages)[0].seq, 12u);
    EXPECT_EQ((*messages)[0].id, "m1");
    EXPECT_EQ((*messages)[0].event, "message");
    EXPECT_EQ((*messages)[0].data, "[1, 2]");
    EXPECT_EQ((*messages)[0].time, 1700000000000);
    RedisReply cut = RedisReply::make_array({RedisReply::make_array(
            {field("13-0"), RedisReply::make_array({field("m"), field("2:m17:messa")})})});
    EXPECT_FALSE(parse_entries("c", cut)) << "fields cut short are not a message";
    RedisReply no_fields = RedisReply::make_array({RedisReply::make_array(
            {field("14-0"), RedisReply::make_array({field("time"), field("1")})})});
    EXPECT_FALSE(parse_entries("c", no_fields));
    RedisReply bad_id = RedisReply::make_array(
            {RedisReply::make_array({field("12-1"), RedisReply::make_array({})})});
    EXPECT_FALSE(parse_entries("c", bad_id)) << "only <seq>-0 ids are ours";
    RedisReply not_entries = RedisReply::make_integer(3);
    EXPECT_FALSE(parse_entries("c", not_entries));
}

}  // namespace
}  // namespace herald::storage::redis

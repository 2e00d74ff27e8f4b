#include "storage/redis/redis_url.hpp"  // first: proves the header is self-contained

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace herald::storage::redis {
namespace {

/// The message parse_redis_url throws for `text`, or "" when it parses.
std::string error_of(const std::string& text) {
    try {
        parse_redis_url(text);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "";
}

TEST(RedisUrlTest, HostAlone) {
    const RedisUrl url = parse_redis_url("redis://localhost");
    ASSERT_EQ(url.seeds.size(), 1u);
    EXPECT_EQ(url.seeds[0], (RedisEndpoint{"localhost", 6379}));
    EXPECT_EQ(url.user, "");
    EXPECT_EQ(url.password, "");
    EXPECT_EQ(url.db, 0);
}

TEST(RedisUrlTest, PortAndDatabase) {
    const RedisUrl url = parse_redis_url("redis://10.0.0.1:7000/3");
    EXPECT_EQ(url.seeds, (std::vector<RedisEndpoint>{{"10.0.0.1", 7000}}));
    EXPECT_EQ(url.db, 3);
    EXPECT_EQ(parse_redis_url("redis://h:1/").db, 0);
}

TEST(RedisUrlTest, Credentials) {
    RedisUrl url = parse_redis_url("redis://alice:s3cret@redis.internal:6380");
    EXPECT_EQ(url.user, "alice");
    EXPECT_EQ(url.password, "s3cret");
    EXPECT_EQ(url.seeds[0], (RedisEndpoint{"redis.internal", 6380}));

    url = parse_redis_url("redis://:only-password@h");
    EXPECT_EQ(url.user, "");
    EXPECT_EQ(url.password, "only-password");
}

TEST(RedisUrlTest, PasswordMayHoldEscapesAndSeparators) {
    EXPECT_EQ(parse_redis_url("redis://:p%40ss%3Aw%2Fd@h").password, "p@ss:w/d");
    // Unescaped: the last '@' ends the credentials, the first ':' ends the user.
    const RedisUrl url = parse_redis_url("redis://u:a@b:c/d@h:1/2");
    EXPECT_EQ(url.user, "u");
    EXPECT_EQ(url.password, "a@b:c/d");
    EXPECT_EQ(url.seeds[0], (RedisEndpoint{"h", 1}));
    EXPECT_EQ(url.db, 2);
}

TEST(RedisUrlTest, SeveralSeeds) {
    const RedisUrl url = parse_redis_url("redis://:pw@10.0.0.1:7000,10.0.0.2:7001,node3");
    EXPECT_EQ(url.seeds, (std::vector<RedisEndpoint>{
                                 {"10.0.0.1", 7000}, {"10.0.0.2", 7001}, {"node3", 6379}}));
    EXPECT_EQ(url.password, "pw");
}

TEST(RedisUrlTest, BracketedIpv6) {
    const RedisUrl url = parse_redis_url("redis://[::1]:7000,[fe80::2]");
    EXPECT_EQ(url.seeds, (std::vector<RedisEndpoint>{{"::1", 7000}, {"fe80::2", 6379}}));
    EXPECT_EQ(to_string(url.seeds[0]), "[::1]:7000");
    EXPECT_EQ(to_string(RedisEndpoint{"h", 1}), "h:1");
}

TEST(RedisUrlTest, BadInputSaysWhat) {
    EXPECT_NE(error_of("http://h").find("must start with redis://"), std::string::npos);
    EXPECT_NE(error_of("rediss://h").find("TLS"), std::string::npos);
    EXPECT_NE(error_of("redis://").find("empty host"), std::string::npos);
    EXPECT_NE(error_of("redis://h:").find("empty port"), std::string::npos);
    EXPECT_NE(error_of("redis://h:0").find("port must be 1-65535"), std::string::npos);
    EXPECT_NE(error_of("redis://h:65536").find("port must be 1-65535"), std::string::npos);
    EXPECT_NE(error_of("redis://h:x").find("port must be 1-65535"), std::string::npos);
    EXPECT_NE(error_of("redis://h/x").find("database must be a number"), std::string::npos);
    EXPECT_NE(error_of("redis://h/-1").find("database must be a number"), std::string::npos);
    EXPECT_NE(error_of("redis://a:1,,b:2").find("empty host"), std::string::npos);
    EXPECT_NE(error_of("redis://::1").find("needs brackets"), std::string::npos);
    EXPECT_NE(error_of("redis://[::1").find("no ']'"), std::string::npos);
    EXPECT_NE(error_of("redis://h?db=1").find("query"), std::string::npos);
    EXPECT_NE(error_of("redis://ho st").find("bad character"), std::string::npos);
    EXPECT_NE(error_of("redis://user@h").find("user:password"), std::string::npos);
    EXPECT_NE(error_of("redis://u:@h").find("empty password"), std::string::npos);
    EXPECT_NE(error_of("redis://:%zz@h").find("%-escape"), std::string::npos);
}

TEST(RedisUrlTest, ErrorsNeverShowThePassword) {
    const std::string error = error_of("redis://u:hunter2@h:notaport");
    EXPECT_NE(error.find("redis://***@h:notaport"), std::string::npos) << error;
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

}  // namespace
}  // namespace herald::storage::redis

#include "config/options.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "config/option_table.hpp"

namespace herald::config {
namespace {

using std::chrono::milliseconds;

class OptionsTest : public ::testing::Test {
protected:
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write_file(const std::string& content) {
        std::filesystem::create_directories(dir_);
        const auto path = dir_ / "herald.toml";
        std::ofstream(path) << content;
        return path.string();
    }

    std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                                 ("herald-config-" + std::to_string(std::random_device{}()));
};

TEST_F(OptionsTest, DefaultsAreApiMds) {
    Options options = resolve_options("", {}, {});
    EXPECT_EQ(options.listen, "0.0.0.0:8080");
    EXPECT_EQ(options.backend, "sqlite");
    EXPECT_EQ(options.path, "./data");
    EXPECT_EQ(options.threads, 0u);
    EXPECT_EQ(options.history_max_messages, 1000u);
    EXPECT_EQ(options.history_max_age, milliseconds(86'400'000));
    EXPECT_EQ(options.max_message_bytes, 65536u);
    EXPECT_EQ(options.long_poll_max_wait, milliseconds(120'000));
    EXPECT_FALSE(options.allowed_origins.has_value());  // the server decides by auth mode
}

TEST_F(OptionsTest, FileThenEnvironmentThenFlags) {
    const std::string file = write_file(R"(
[http]
listen = "127.0.0.1:1111"
allowed_origins = ["https://a.example", "https://b.example"]

[history]
max_messages = 10
max_age = "2h"

[storage]
backend = "memory"
)");
    Options from_file = resolve_options(file, {}, {});
    EXPECT_EQ(from_file.listen, "127.0.0.1:1111");
    EXPECT_EQ(from_file.history_max_messages, 10u);
    EXPECT_EQ(from_file.history_max_age, milliseconds(7'200'000));
    EXPECT_EQ(from_file.backend, "memory");
    EXPECT_EQ(*from_file.allowed_origins,
              (std::vector<std::string>{"https://a.example", "https://b.example"}));

    Options with_env = resolve_options(file,
                                       {{"http.listen", "127.0.0.1:2222"},
                                        {"history.max_messages", "20"},
                                        {"http.allowed_origins", "https://c.example, *"}},
                                       {});
    EXPECT_EQ(with_env.listen, "127.0.0.1:2222");
    EXPECT_EQ(with_env.history_max_messages, 20u);
    EXPECT_EQ(with_env.history_max_age, milliseconds(7'200'000))
            << "untouched keys keep the file's";
    EXPECT_EQ(*with_env.allowed_origins, (std::vector<std::string>{"https://c.example", "*"}));

    Options with_flags =
            resolve_options(file, {{"http.listen", "127.0.0.1:2222"}},
                            {{"http.listen", "127.0.0.1:3333"}, {"history.max_age", "90s"}});
    EXPECT_EQ(with_flags.listen, "127.0.0.1:3333");
    EXPECT_EQ(with_flags.history_max_age, milliseconds(90'000));
    EXPECT_EQ(with_flags.history_max_messages, 10u);
}

TEST_F(OptionsTest, BadValuesAreRefusedWithTheKeyNamed) {
    const std::vector<std::pair<std::string, std::string>> bad = {
            {"history.max_messages", "abc"},   {"history.max_messages", "0"},
            {"history.max_messages", "-5"},    {"history.max_age", "soon"},
            {"history.max_age", "0s"},         {"storage.backend", "mysql"},
            {"storage.fsync", "sometimes"},    {"http.listen", "nowhere"},
            {"http.listen", "host:99999"},     {"http.threads", "1000"},
            {"limits.max_message_bytes", "1"}, {"log.level", "loud"}};
    for (const auto& [key, value] : bad) {
        try {
            resolve_options("", {}, {{key, value}});
            ADD_FAILURE() << key << "=" << value << " was accepted";
        } catch (const ConfigError& error) {
            EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << error.what();
        }
    }
}

TEST_F(OptionsTest, BooleansFromFileEnvironmentAndFlags) {
    EXPECT_FALSE(resolve_options("", {}, {}).ws_deflate);
    EXPECT_TRUE(resolve_options(write_file("[websocket]\ndeflate = true\n"), {}, {}).ws_deflate);
    EXPECT_TRUE(resolve_options("", {{"websocket.deflate", "1"}}, {}).ws_deflate);
    EXPECT_FALSE(
            resolve_options("", {{"websocket.deflate", "on"}}, {{"websocket.deflate", "false"}})
                    .ws_deflate);
    EXPECT_THROW(resolve_options("", {}, {{"websocket.deflate", "maybe"}}), ConfigError);
}

TEST_F(OptionsTest, BehindALoadBalancer) {
    const Options defaults = resolve_options("", {}, {});
    EXPECT_FALSE(defaults.proxy_protocol);
    EXPECT_TRUE(defaults.trusted_proxies.empty());
    const Options file = resolve_options(
            write_file("[http]\nproxy_protocol = true\n"
                       "trusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\", \"::1/128\"]\n"),
            {}, {});
    EXPECT_TRUE(file.proxy_protocol);
    ASSERT_EQ(file.trusted_proxies.size(), 3u);
    EXPECT_EQ(file.trusted_proxies[1].to_string(), "127.0.0.1/32");
    const Options flag = resolve_options("", {{"http.trusted_proxies", "10.0.0.0/8"}},
                                         {{"http.trusted_proxies", "192.168.0.0/16, fd00::/8"}});
    ASSERT_EQ(flag.trusted_proxies.size(), 2u) << "flags replace the variable's list";
    EXPECT_EQ(flag.trusted_proxies[1].to_string(), "fd00::/8");
    try {
        resolve_options("", {}, {{"http.trusted_proxies", "10.0.0.0/8,10.0.0/8"}});
        ADD_FAILURE() << "a bad block was accepted";
    } catch (const ConfigError& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("--http-trusted-proxies: bad value for http.trusted_proxies: "
                            "'10.0.0/8' is not an address"),
                  std::string::npos)
                << what;
    }
}

TEST_F(OptionsTest, UnknownKeysAndBadFilesAreRefused) {
    EXPECT_THROW(resolve_options("", {}, {{"http.speed", "11"}}), ConfigError);
    EXPECT_THROW(resolve_options(write_file("[http]\nspeed = 11\n"), {}, {}), ConfigError);
    EXPECT_THROW(resolve_options(write_file("listen = \"x\"\n"), {}, {}), ConfigError);
    EXPECT_THROW(resolve_options(write_file("[http\nlisten = "), {}, {}), ConfigError);
    EXPECT_THROW(resolve_options(write_file("[history]\nmax_messages = \"many\"\n"), {}, {}),
                 ConfigError);
    EXPECT_THROW(resolve_options((dir_ / "missing.toml").string(), {}, {}), ConfigError);
}

TEST(SplitListen, HostAndPort) {
    EXPECT_EQ(split_listen("0.0.0.0:8080"),
              (std::pair<std::string, unsigned short>{"0.0.0.0", 8080}));
    EXPECT_EQ(split_listen("[::1]:9000"), (std::pair<std::string, unsigned short>{"::1", 9000}));
    EXPECT_EQ(split_listen("localhost:0").second, 0);
    for (const char* bad : {"8080", ":8080", "host:", "host:x", "host:65536"}) {
        EXPECT_THROW(split_listen(bad), ConfigError) << bad;
    }
}

TEST_F(OptionsTest, WebhooksAreArraysOfTables) {
    const auto path = write_file(R"toml(
[webhook_delivery]
retry_scale = 0.25

[[webhooks]]
url = "https://example.com/hooks"
events = ["message.published", "channel.occupied"]
channels = ["room:*"]
secret = "whsec_k"

[[webhooks]]
url = "http://other.example/x"
events = "presence.joined"
secret = "whsec_j"
)toml");
    Options options = resolve_options(path, {}, {});
    ASSERT_EQ(options.webhooks.size(), 2u);
    EXPECT_EQ(options.webhooks[0].url, "https://example.com/hooks");
    EXPECT_EQ(options.webhooks[0].events,
              (std::vector<std::string>{"message.published", "channel.occupied"}));
    EXPECT_EQ(options.webhooks[0].channels, (std::vector<std::string>{"room:*"}));
    EXPECT_EQ(options.webhooks[0].secret, "whsec_k");
    EXPECT_EQ(options.webhooks[1].events, (std::vector<std::string>{"presence.joined"}));
    EXPECT_TRUE(options.webhooks[1].channels.empty());
    EXPECT_DOUBLE_EQ(options.webhook_retry_scale, 0.25);
}

TEST_F(OptionsTest, BadWebhookTablesNameTheEntry) {
    const std::pair<const char*, const char*> cases[] = {
            {"[[webhooks]]\nevents = [\"message.published\"]\nsecret = \"s\"\n",
             "webhooks[0]: url is required"},
            {"[[webhooks]]\nurl = \"http://h/\"\nsecret = \"s\"\n",
             "webhooks[0]: events is required"},
            {"[[webhooks]]\nurl = \"http://h/\"\nevents = [\"x\"]\n",
             "webhooks[0]: secret is required"},
            {"[[webhooks]]\nurl = 1\nevents = [\"x\"]\nsecret = \"s\"\n",
             "webhooks[0].url must be a string"},
            {"[[webhooks]]\nurl = \"u\"\nevents = [1]\nsecret = \"s\"\n",
             "webhooks[0].events must be a list"},
            {"[[webhooks]]\nurl = \"u\"\nevents = [\"x\"]\nsecret = \"s\"\nsecrets = 1\n",
             "unknown key secrets"},
            {"webhooks = 3\n", "webhooks must be an array of tables"},
    };
    for (const auto& [text, expected] : cases) {
        try {
            resolve_options(write_file(text), {}, {});
            ADD_FAILURE() << "accepted: " << text;
        } catch (const ConfigError& error) {
            EXPECT_NE(std::string(error.what()).find(expected), std::string::npos)
                    << error.what() << " lacks " << expected;
        }
    }
}

TEST_F(OptionsTest, RetryScaleMustBeAFactorUpToOne) {
    EXPECT_THROW(resolve_options("", {}, {{"webhook_delivery.retry_scale", "0"}}), ConfigError);
    EXPECT_THROW(resolve_options("", {}, {{"webhook_delivery.retry_scale", "2"}}), ConfigError);
    EXPECT_THROW(resolve_options("", {}, {{"webhook_delivery.retry_scale", "x"}}), ConfigError);
    EXPECT_DOUBLE_EQ(
            resolve_options("", {}, {{"webhook_delivery.retry_scale", "0.01"}}).webhook_retry_scale,
            0.01);
}

TEST_F(OptionsTest, DenyPrivateIsOffUnlessSet) {
    EXPECT_FALSE(resolve_options("", {}, {}).webhook_deny_private) << "admins are trusted";
    EXPECT_TRUE(resolve_options(write_file("[webhook_delivery]\ndeny_private = true\n"), {}, {})
                        .webhook_deny_private);
    EXPECT_TRUE(resolve_options("", {{"webhook_delivery.deny_private", "true"}}, {})
                        .webhook_deny_private);
    EXPECT_THROW(resolve_options("", {}, {{"webhook_delivery.deny_private", "sometimes"}}),
                 ConfigError);
    EXPECT_EQ(flag_of("webhook_delivery.deny_private"), "--webhook-delivery-deny-private");
    EXPECT_EQ(env_of("webhook_delivery.deny_private"), "HERALD_WEBHOOK_DELIVERY_DENY_PRIVATE");
}

TEST(OptionTable, FlagAndVariableNames) {
    EXPECT_EQ(flag_of("history.max_messages"), "--history-max-messages");
    EXPECT_EQ(env_of("history.max_messages"), "HERALD_HISTORY_MAX_MESSAGES");
    for (const auto& spec : option_table()) {
        Options defaults;
        EXPECT_FALSE(spec.apply(defaults, spec.show(Options{})))
                << spec.key << ": default must parse";
    }
}

}  // namespace
}  // namespace herald::config

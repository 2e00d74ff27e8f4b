#include "cluster/node_registry.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "util/clock.hpp"

namespace herald::cluster {

namespace json = boost::json;
using storage::redis::RedisReply;

namespace {

std::optional<core::NodeInfo> parse_entry(const std::string& text) {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec || !value.is_object()) return std::nullopt;
    const json::object& entry = value.as_object();
    core::NodeInfo node;
    if (const auto* id = entry.if_contains("node"); id && id->is_string()) {
        node.node = std::string(id->as_string());
    }
    if (const auto* address = entry.if_contains("address"); address && address->is_string()) {
        node.address = std::string(address->as_string());
    }
    if (const auto* count = entry.if_contains("connections"); count && count->is_int64()) {
        node.connections = count->as_int64();
    }
    if (const auto* beat = entry.if_contains("heartbeat"); beat && beat->is_int64()) {
        node.heartbeat = beat->as_int64();
    }
    if (node.node.empty()) return std::nullopt;
    return node;
}

}  // namespace

NodeRegistry::NodeRegistry(runtime::ShardGroup& shards, runtime::ShardId shard,
                           storage::redis::RedisUrl url, storage::redis::RedisClientOptions client,
                           NodeRegistryOptions options, std::function<std::int64_t()> connections)
    : shards_(shards),
      shard_(shard),
      options_(std::move(options)),
      connections_(std::move(connections)),
      nodes_key_(options_.key_prefix + ":{cluster}:nodes"),
      beats_key_(options_.key_prefix + ":{cluster}:beats"),
      redis_(std::make_shared<storage::redis::RedisClient>(shards[shard].executor(), std::move(url),
                                                           client)),
      timer_(shards[shard].executor()) {
    redis_->on_state([this](bool up) {
        if (up) beat();  // at once: a node is listed as soon as it can be
    });
}

NodeRegistry::~NodeRegistry() = default;

void NodeRegistry::start() {
    redis_->start();
    schedule();
}

void NodeRegistry::schedule() {
    timer_.expires_after(options_.heartbeat);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        beat();
        schedule();
    });
}

std::string NodeRegistry::entry_json() const {
    json::object entry;
    entry["node"] = options_.node_id;
    entry["address"] = options_.address;
    entry["connections"] = connections_();
    entry["heartbeat"] = unix_millis();
    return json::serialize(entry);
}

void NodeRegistry::beat() {
    if (stopped_ || !redis_->up()) return;
    const std::int64_t now = unix_millis();
    const std::int64_t expired = now - 3 * options_.heartbeat.count();
    // One transaction: the entry and its time change together, and whoever beats sweeps the
    // dead (their entries first, then their times, so a reader never lists a timeless entry).
    redis_->command({"MULTI"}, [](auto, auto) {});
    redis_->command({"HSET", nodes_key_, options_.node_id, entry_json()}, [](auto, auto) {});
    redis_->command({"ZADD", beats_key_, std::to_string(now), options_.node_id}, [](auto, auto) {});
    redis_->command({"EXEC"}, [](boost::system::error_code ec, RedisReply reply) {
        if (ec || reply.is_error()) {
            spdlog::warn("cluster: heartbeat not recorded: {}", ec ? ec.message() : reply.text());
        }
    });
    redis_->command(
            {"ZRANGEBYSCORE", beats_key_, "-inf", std::string("(").append(std::to_string(expired))},
            [this](boost::system::error_code ec, RedisReply reply) {
                if (ec || !reply.is_array() || reply.elements().empty()) return;
                std::vector<std::string> hdel{"HDEL", nodes_key_};
                std::vector<std::string> zrem{"ZREM", beats_key_};
                std::vector<std::string> gone;
                for (const auto& id : reply.elements()) {
                    spdlog::info("cluster: node {} missed 3 heartbeats; removed", id.text());
                    hdel.push_back(id.text());
                    zrem.push_back(id.text());
                    gone.push_back(id.text());
                }
                redis_->command(std::move(hdel), [](auto, auto) {});
                redis_->command(std::move(zrem), [](auto, auto) {});
                if (gone_listener_) gone_listener_(std::move(gone));
            });
}

void NodeRegistry::stop(std::function<void()> done) {
    shards_[shard_].post([this, done = std::move(done)]() mutable {
        stopped_ = true;
        timer_.cancel();
        if (!redis_->up()) {
            redis_->stop();
            return done();
        }
        redis_->command({"HDEL", nodes_key_, options_.node_id}, [](auto, auto) {});
        redis_->command({"ZREM", beats_key_, options_.node_id},
                        [this, done = std::move(done)](auto, auto) {
                            redis_->stop();
                            done();
                        });
    });
}

void NodeRegistry::nodes(runtime::ShardId shard,
                         std::function<void(std::optional<std::vector<core::NodeInfo>>)> done) {
    shards_[shard_].post([this, shard, done = std::move(done)]() mutable {
        auto answer = [this, shard, done = std::move(done)](
                              std::optional<std::vector<core::NodeInfo>> nodes) mutable {
            shards_[shard].post([done = std::move(done), nodes = std::move(nodes)]() mutable {
                done(std::move(nodes));
            });
        };
        const std::int64_t alive_since = unix_millis() - 3 * options_.heartbeat.count();
        redis_->command(
                {"ZRANGEBYSCORE", beats_key_, std::to_string(alive_since), "+inf"},
                [this, answer = std::move(answer)](boost::system::error_code ec,
                                                   RedisReply ids) mutable {
                    if (ec || !ids.is_array()) return answer(std::nullopt);
                    if (ids.elements().empty()) return answer(std::vector<core::NodeInfo>{});
                    std::vector<std::string> hmget{"HMGET", nodes_key_};
                    for (const auto& id : ids.elements())
                        hmget.push_back(id.text());
                    redis_->command(std::move(hmget), [answer = std::move(answer)](
                                                              boost::system::error_code ec,
                                                              RedisReply entries) mutable {
                        if (ec || !entries.is_array()) return answer(std::nullopt);
                        std::vector<core::NodeInfo> nodes;
                        for (const auto& entry : entries.elements()) {
                            if (!entry.is_string()) continue;  // removed meanwhile
                            if (auto node = parse_entry(entry.text())) {
                                nodes.push_back(std::move(*node));
                            }
                        }
                        std::sort(nodes.begin(), nodes.end(),
                                  [](const auto& a, const auto& b) { return a.node < b.node; });
                        answer(std::move(nodes));
                    });
                });
    });
}

}  // namespace herald::cluster

#include "cluster/node_sweep.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace herald::cluster {

namespace {

constexpr const char* kClaim =
        "local members = redis.call('SMEMBERS', KEYS[1]) "
        "redis.call('DEL', KEYS[1]) "
        "return members";

}  // namespace

void claim_node_set(storage::redis::RedisClient& redis, std::string key,
                    std::function<void(std::vector<std::string>)> done) {
    redis.command({"EVAL", kClaim, "1", std::move(key)},
                  [done = std::move(done)](boost::system::error_code ec,
                                           const storage::redis::RedisReply& reply) {
                      std::vector<std::string> members;
                      if (!ec && reply.is_array()) {
                          for (const auto& member : reply.elements()) {
                              members.push_back(member.text());
                          }
                      }
                      done(std::move(members));
                  });
}

void NodeSweeper::note(const std::string& channel) {
    if (!noted_.insert(channel).second) return;
    redis_.command({"SADD", set_key(self_), channel},
                   [](boost::system::error_code, const storage::redis::RedisReply&) {});
}

void NodeSweeper::sweep(std::vector<std::string> nodes) {
    shards_[shard_].post([this, nodes = std::move(nodes)] {
        for (const std::string& node : nodes) {
            if (node != self_) sweep_node(node, [] {});
        }
    });
}

void NodeSweeper::sweep_node(const std::string& node, std::function<void()> done) {
    if (node == self_) noted_.clear();  // the set goes
    claim_node_set(redis_, set_key(node),
                   [this, node, done = std::move(done)](std::vector<std::string> channels) mutable {
                       if (channels.empty()) return done();
                       spdlog::info("cluster: sweeping {} from {} channel(s) of node {}",
                                    set_prefix_, channels.size(), node);
                       auto remaining = std::make_shared<std::size_t>(channels.size());
                       auto next = [remaining, done = std::move(done)] {
                           if (--*remaining == 0) done();
                       };
                       for (const std::string& channel : channels) {
                           each_(node, channel, next);
                       }
                   });
}

void NodeSweeper::stop(std::function<void()> done) {
    shards_[shard_].post([this, done = std::move(done)]() mutable {
        if (!redis_.up()) {
            redis_.stop();
            return done();
        }
        sweep_node(self_, [this, done = std::move(done)] {
            redis_.stop();
            done();
        });
    });
}

}  // namespace herald::cluster

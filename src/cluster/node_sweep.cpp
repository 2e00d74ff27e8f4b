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

void sweep_node_set(storage::redis::RedisClient& redis, std::string key,
                    std::function<void(const std::string&, std::function<void()>)> each,
                    std::function<void()> done) {
    claim_node_set(redis, std::move(key),
                   [each = std::move(each),
                    done = std::move(done)](std::vector<std::string> members) mutable {
                       if (members.empty()) return done();
                       spdlog::info("cluster: sweeping {} entr{} of a gone node", members.size(),
                                    members.size() == 1 ? "y" : "ies");
                       auto remaining = std::make_shared<std::size_t>(members.size());
                       auto next = [remaining, done = std::move(done)] {
                           if (--*remaining == 0) done();
                       };
                       for (const std::string& member : members) {
                           each(member, next);
                       }
                   });
}

}  // namespace herald::cluster

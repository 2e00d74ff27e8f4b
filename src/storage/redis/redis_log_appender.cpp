#include "storage/redis/redis_log_appender.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "util/clock.hpp"

namespace herald::storage::redis {

struct RedisAppender::Batch {
    std::vector<AppendRequest> requests;
    std::vector<AppendResult> results;  // failed until a reply says otherwise
    BatchCompletion done;
    std::size_t calls = 0;  // not answered yet
};

/// One script call: some messages of the batch, by index into it.
struct RedisAppender::Call {
    std::vector<std::size_t> indices;
    std::map<std::string, FanoutTracker::Ticket> tickets;  // per channel of the call
};

void RedisAppender::append(std::vector<AppendRequest> requests, BatchCompletion done) {
    auto batch = std::make_shared<Batch>();
    batch->done = std::move(done);
    batch->results.reserve(requests.size());
    for (const AppendRequest& request : requests) {
        batch->results.push_back(AppendResult{AppendStatus::failed, 0, request.id, request.time});
    }
    batch->requests = std::move(requests);
    // In request order, which is each channel's order; split so no call holds Redis for long.
    std::vector<std::shared_ptr<Call>> calls;
    for (std::size_t from = 0; from < batch->requests.size(); from += kMessagesPerScript) {
        auto call = std::make_shared<Call>();
        const std::size_t to = std::min(batch->requests.size(), from + kMessagesPerScript);
        for (std::size_t i = from; i < to; ++i) {
            call->indices.push_back(i);
        }
        calls.push_back(std::move(call));
    }
    ++in_flight_;
    batch->calls = calls.size();
    if (calls.empty()) return finish(*batch);
    for (auto& call : calls) {
        send(batch, call);  // all in this turn: one write
    }
}

void RedisAppender::send(const std::shared_ptr<Batch>& batch, const std::shared_ptr<Call>& call) {
    for (std::size_t index : call->indices) {
        const std::string& channel = batch->requests[index].channel;
        if (!call->tickets.contains(channel)) {
            call->tickets.emplace(channel, tracker_.expect(channel));
        }
    }
    // Copied from the requests, which stay for a retry after NOSCRIPT.
    auto args = [this, batch, call, now = unix_millis()](std::vector<std::string>& command) {
        command.reserve(command.size() + 6 + 6 * call->indices.size());
        command.push_back(
                keys_.index(partition_of(batch->requests[call->indices.front()].channel)));
        command.push_back(keys_.prefix());
        command.push_back(std::to_string(now));
        command.push_back(std::to_string(retention_.max_messages));
        command.push_back(std::to_string(retention_.max_age.count()));
        command.push_back(std::to_string(retention_.dedupe_window.count()));
        for (std::size_t index : call->indices) {
            const AppendRequest& request = batch->requests[index];
            command.push_back(std::to_string(partition_of(request.channel)));
            command.push_back(request.channel);
            command.push_back(request.id);
            command.push_back(request.client_id ? "1" : "0");
            command.push_back(std::to_string(request.time));
            command.push_back(
                    encode_message_fields(request.id, request.event, request.data, request.time));
        }
    };
    scripts_.run(LogScript::append, 1, std::move(args),
                 [this, batch, call](boost::system::error_code ec, RedisReply reply) {
                     on_reply(*batch, *call, ec, reply);
                     if (--batch->calls == 0) finish(*batch);
                 });
}

void RedisAppender::on_reply(Batch& batch, Call& call, boost::system::error_code ec,
                             RedisReply& reply) {
    auto& parts = reply.elements();
    const bool answered = !ec && reply.is_array() && parts.size() == call.indices.size();
    // Per channel of the call: the lowest seq stored, and its epoch, for the tracker.
    std::map<std::string, std::pair<Seq, std::string>> stored;
    for (std::size_t k = 0; answered && k < parts.size(); ++k) {
        auto& fields = parts[k].elements();
        using Kind = RedisReply::Kind;
        if (fields.size() != 4 || fields[0].kind() != Kind::integer ||
            fields[1].kind() != Kind::integer || fields[2].kind() != Kind::integer ||
            !fields[3].is_string()) {
            continue;  // stays failed
        }
        const std::size_t index = call.indices[k];
        AppendResult& result = batch.results[index];
        result.status = fields[0].integer() == 1 ? AppendStatus::stored : AppendStatus::duplicate;
        result.seq = static_cast<Seq>(fields[1].integer());
        result.time = fields[2].integer();
        if (result.status != AppendStatus::stored) continue;
        auto [it, added] =
                stored.try_emplace(batch.requests[index].channel, result.seq, fields[3].text());
        if (!added) it->second.first = std::min(it->second.first, result.seq);
    }
    for (auto& [channel, ticket] : call.tickets) {
        auto it = stored.find(channel);
        if (it == stored.end()) {
            tracker_.appended(channel, ticket, 0, {});
        } else {
            tracker_.appended(channel, ticket, it->second.first, it->second.second);
        }
    }
    if (answered) {
        if (std::exchange(failing_, false)) spdlog::info("redis: appends succeed again");
        return;
    }
    if (!std::exchange(failing_, true)) {
        spdlog::error(
                "redis: appending {} message(s) failed: {}; publishes fail until Redis "
                "answers",
                call.indices.size(), ec ? ec.message() : to_string(reply));
    }
}

void RedisAppender::finish(Batch& batch) {
    batch.done(std::move(batch.results));
    --in_flight_;
    if (in_flight_ == 0 && drained_) std::exchange(drained_, nullptr)();
}

void RedisAppender::when_drained(std::function<void()> drained) {
    if (in_flight_ == 0) return drained();
    drained_ = std::move(drained);
}

}  // namespace herald::storage::redis

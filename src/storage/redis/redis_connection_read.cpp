// RedisConnection's reading side: replies matched to commands, pub/sub pushes and confirmations.

#include <utility>

#include <spdlog/spdlog.h>

#include "storage/redis/redis_connection.hpp"

namespace herald::storage::redis {

void RedisConnection::do_read() {
    socket_.async_read_some(
            net::buffer(read_buffer_),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
                self->on_read(ec, bytes);
            });
}

void RedisConnection::on_read(boost::system::error_code ec, std::size_t bytes) {
    if (state_ == State::closed) return;
    if (ec == net::error::eof) {
        return fail_now(RedisErrc::connection_lost, "the server closed the connection");
    }
    if (ec) return fail_now(RedisErrc::connection_lost, "read failed: " + ec.message());
    OwedList owed;
    if (!reader_.feed(read_buffer_.data(), bytes)) {
        fail(RedisErrc::protocol_error, "out of memory for a reply", owed);
    }
    RedisReply reply;
    while (state_ != State::closed) {
        const auto next = reader_.next(reply);
        if (next == RespReader::Next::need_more) break;
        if (next == RespReader::Next::error) {
            fail(RedisErrc::protocol_error, "unreadable reply: " + reader_.error_text(), owed);
            break;
        }
        route(std::move(reply), owed);
    }
    if (state_ != State::closed) do_read();
    deliver(owed);
}

void RedisConnection::route(RedisReply reply, OwedList& owed) {
    if (state_ == State::handshaking) return on_handshake_reply(reply, owed);
    if (!subscriber_ && !awaiting_.empty() && awaiting_.front().confirmations) subscriber_ = true;
    if (subscriber_ && route_pubsub(reply, owed)) return;
    if (awaiting_.empty()) {
        return fail(RedisErrc::protocol_error, "a reply no command asked for: " + to_string(reply),
                    owed);
    }
    // An (un)subscribe that gets anything but its confirmations (a CROSSSLOT error) ends too.
    Pending pending = std::move(awaiting_.front());
    awaiting_.pop_front();
    owed.push_back({std::move(pending.done), {}, std::move(reply)});
}

bool RedisConnection::route_pubsub(RedisReply& reply, OwedList& owed) {
    // RESP2 pushes and confirmations: [kind, channel, payload or subscription count].
    auto& parts = reply.elements();
    if (!reply.is_array() || parts.size() != 3 || !parts[0].is_string()) return false;
    const std::string& kind = parts[0].text();
    if (kind == "message" || kind == "smessage") {
        owed.push_back({{}, {}, std::move(reply), true});
        return true;
    }
    const bool unsubscribe = kind == "unsubscribe" || kind == "sunsubscribe";
    if (!unsubscribe && kind != "subscribe" && kind != "ssubscribe") return false;

    if (!awaiting_.empty() && awaiting_.front().confirmations) {
        Confirmations& wait = *awaiting_.front().confirmations;
        const std::size_t index = wait.replies.size();
        if (wait.kind == kind && parts[1].text() == wait.channels[index]) {
            wait.replies.push_back(std::move(reply));
            if (wait.replies.size() < wait.channels.size()) return true;
            Pending pending = std::move(awaiting_.front());
            awaiting_.pop_front();
            auto confirmed = RedisReply::make_array(std::move(pending.confirmations->replies));
            owed.push_back({std::move(pending.done), {}, std::move(confirmed)});
            return true;
        }
    }
    if (unsubscribe) {
        // Nobody asked: the server dropped the subscription itself (its slot moved away).
        owed.push_back({{}, {}, std::move(reply), true});
        return true;
    }
    spdlog::warn("redis {}: a {} confirmation nobody asked for ({}); ignored", to_string(endpoint_),
                 kind, to_string(parts[1]));
    return true;
}

void RedisConnection::subscribe(std::vector<std::string> channels, ReplyHandler done) {
    pubsub("SUBSCRIBE", "subscribe", std::move(channels), std::move(done));
}

void RedisConnection::unsubscribe(std::vector<std::string> channels, ReplyHandler done) {
    pubsub("UNSUBSCRIBE", "unsubscribe", std::move(channels), std::move(done));
}

void RedisConnection::ssubscribe(std::vector<std::string> channels, ReplyHandler done) {
    pubsub("SSUBSCRIBE", "ssubscribe", std::move(channels), std::move(done));
}

void RedisConnection::sunsubscribe(std::vector<std::string> channels, ReplyHandler done) {
    pubsub("SUNSUBSCRIBE", "sunsubscribe", std::move(channels), std::move(done));
}

void RedisConnection::pubsub(std::string_view verb, std::string_view kind,
                             std::vector<std::string> channels, ReplyHandler done) {
    // Without channels, an unsubscribe is confirmed once per current subscription: a count
    // only the server knows, so it could not be matched. Close the connection instead.
    if (channels.empty()) {
        return post_error(std::move(done), make_error_code(boost::system::errc::invalid_argument));
    }
    if (state_ == State::closed) return post_error(std::move(done), RedisErrc::not_connected);
    if (awaiting_.size() >= options_.max_pending) {
        return post_error(std::move(done), RedisErrc::overloaded);
    }
    append_command(outgoing_, verb, channels);
    auto confirmations = std::make_unique<Confirmations>();
    confirmations->kind = std::string(kind);
    confirmations->channels = std::move(channels);
    enqueue({std::move(done), Clock::now() + options_.timeout, std::move(confirmations)});
}

void RedisConnection::deliver_push(const PushHandler& handler, RedisReply push) {
    if (!handler) return;
    auto& parts = push.elements();
    const std::string& kind = parts[0].text();
    if (kind == "message" || kind == "smessage") {
        const PushKind push_kind = kind == "message" ? PushKind::message : PushKind::smessage;
        return handler(push_kind, parts[1].take_text(), parts[2].take_text());
    }
    handler(PushKind::unsubscribed, parts[1].take_text(), {});
}

}  // namespace herald::storage::redis

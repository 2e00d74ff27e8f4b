#include "transport/poll/read_handler.hpp"

#include <algorithm>
#include <chrono>

#include "transport/http/responses.hpp"
#include "transport/poll/long_poll_waiter.hpp"
#include "wire/json_responses.hpp"

namespace herald::transport {

using wire::ApiError;

namespace {

constexpr std::uint64_t kDefaultLimit = 100;  // API.md
constexpr std::uint64_t kMaxLimit = 1000;     // API.md: larger limits are capped

}  // namespace

void handle_read(HttpContext& context, runtime::ShardId shard, const RequestTarget& target,
                 const std::string& channel, const std::optional<std::string>& user,
                 PollerPresence& presence, ExchangePtr exchange) {
    std::uint64_t after_value = 0;
    std::uint64_t limit = kDefaultLimit;
    std::uint64_t wait_seconds = 0;
    const NumberParam after = read_number(target, "after", after_value);
    if (after == NumberParam::invalid) {
        return exchange->respond(
                error_response(ApiError::bad_request, "after must be a non-negative integer"));
    }
    if (read_number(target, "limit", limit) == NumberParam::invalid || limit == 0) {
        return exchange->respond(
                error_response(ApiError::bad_request, "limit must be a positive integer"));
    }
    const NumberParam wait_given = read_number(target, "wait", wait_seconds);
    if (wait_given == NumberParam::invalid) {
        return exchange->respond(error_response(ApiError::bad_request,
                                                "wait must be a non-negative number of seconds"));
    }
    limit = std::min(limit, kMaxLimit);
    // A polling client is present from its first poll that names `wait`, answered at once or
    // held: wait=0 (a short poll) says "I poll", a read without `wait` is a one-off.
    if (wait_given == NumberParam::valid) {
        // A poller that stops says nothing: a channel it has not polled for the longest a
        // poll may be held plus the idle time allowed between requests is left.
        const PollerPresence::Bounds bounds{
                context.limits.max_poll_channels,
                context.limits.long_poll_max_wait + context.limits.request_timeout};
        presence.polled(context.presence, shard, bounds, channel,
                        wait_seconds == 0 ? "poll" : "longpoll", user);
    }

    std::optional<core::Seq> cursor;
    if (after == NumberParam::valid) cursor = after_value;
    if (wait_seconds == 0) {
        return context.channels.read(
                shard, channel, cursor, limit,
                [exchange = std::move(exchange), channel](core::ReadResult read) {
                    exchange->respond(read_answer(channel, read));
                });
    }
    // Long polling: the waiter subscribes before it reads, so nothing committed meanwhile is
    // missed. Without `after`, the wait is for anything newer than what exists now.
    auto wait = std::chrono::milliseconds(std::chrono::seconds(std::min<std::uint64_t>(
            wait_seconds,
            static_cast<std::uint64_t>(context.limits.long_poll_max_wait.count() / 1000))));
    if (wait.count() == 0) wait = context.limits.long_poll_max_wait;
    auto held = try_take(context.long_poll_waiters,
                         static_cast<std::uint32_t>(context.limits.max_long_poll_waiters));
    if (!held) {
        // The server holds all the long polls it may: the client comes back shortly (a short
        // poll still answers; other transports are unaffected).
        context.metrics.shard(shard).refused_long_poll_waiters.inc();
        Response response = error_response(ApiError::unavailable, "too many long polls held");
        response.set(http::field::retry_after, "1");
        return exchange->respond(std::move(response));
    }
    LongPollWaiter::start(context, shard, channel, cursor, limit, wait, std::move(*held),
                          std::move(exchange));
}

Response read_answer(const std::string& channel, const core::ReadResult& read) {
    if (read.failed) {
        // An error, never an empty answer or a gap: the client retries from the same cursor.
        return storage_unavailable("history could not be read; try again");
    }
    return json_response(http::status::ok,
                         wire::read_reply(channel, read.messages, read.last_seq, read.gap));
}

}  // namespace herald::transport

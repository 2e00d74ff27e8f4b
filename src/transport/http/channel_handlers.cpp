#include "transport/http/channel_handlers.hpp"

#include "transport/http/responses.hpp"
#include "wire/json_responses.hpp"
#include "wire/presence_json.hpp"
#include "wire/publish_body.hpp"

namespace herald::transport {

using wire::ApiError;

void handle_publish(HttpContext& context, runtime::ShardId shard, const Request& request,
                    const std::string& channel, TokenBucket& publish_rate, ExchangePtr exchange) {
    if (!is_json_media_type(request[http::field::content_type])) {
        return exchange->respond(error_response(ApiError::unsupported_media_type,
                                                "Content-Type must be application/json"));
    }
    if (!publish_rate.take()) {
        context.metrics.shard(shard).publishes_rate_limited.inc();
        Response response = error_response(
                ApiError::rate_limited,
                "at most " + std::to_string(context.limits.publish_rate) +
                        " publishes a second on one connection (limits.publish_rate)");
        response.set(http::field::retry_after, std::to_string(publish_rate.seconds_until_next()));
        return exchange->respond(std::move(response));
    }
    auto parsed = wire::parse_publish_body(request.body(), channel);
    if (auto* error = std::get_if<wire::BodyError>(&parsed)) {
        return exchange->respond(error_response(ApiError::bad_request, error->message));
    }
    context.channels.publish(
            shard, std::move(std::get<core::PublishRequest>(parsed)),
            [exchange = std::move(exchange)](const core::PublishResult& result) {
                switch (result.status) {
                    case core::PublishStatus::created:
                        return exchange->respond(
                                json_response(http::status::created, wire::publish_reply(result)));
                    case core::PublishStatus::duplicate:
                        return exchange->respond(
                                json_response(http::status::ok, wire::publish_reply(result)));
                    case core::PublishStatus::failed:
                        // Never a 201 without storage; the client retries (with its id: a
                        // publish that was stored after all is then answered 200).
                        return exchange->respond(
                                storage_unavailable("storage could not store the message"));
                }
            });
}

void handle_channel_info(HttpContext& context, runtime::ShardId shard, const std::string& channel,
                         ExchangePtr exchange) {
    context.channels.info(
            shard, channel,
            [exchange = std::move(exchange)](std::optional<core::ChannelInfo> info) {
                if (!info) return exchange->respond(storage_unavailable());
                exchange->respond(json_response(http::status::ok, wire::channel_info_reply(*info)));
            });
}

void handle_presence(HttpContext& context, runtime::ShardId shard, const std::string& channel,
                     ExchangePtr exchange) {
    context.presence.members(
            channel, shard,
            [channel, exchange = std::move(exchange)](
                    std::optional<std::vector<core::PresenceEntry>> clients) {
                if (!clients) return exchange->respond(storage_unavailable());
                exchange->respond(
                        json_response(http::status::ok, wire::presence_reply(channel, *clients)));
            });
}

void handle_channel_list(HttpContext& context, runtime::ShardId shard, const RequestTarget& target,
                         auth::GrantPtr grant, ExchangePtr exchange) {
    std::string prefix(target.param("prefix").value_or(""));
    context.channels.list(
            shard, std::move(prefix),
            [exchange = std::move(exchange),
             grant = std::move(grant)](std::optional<std::vector<core::ChannelInfo>> listed) {
                if (!listed) return exchange->respond(storage_unavailable());
                std::vector<core::ChannelInfo>& list = *listed;
                // A token lists only the channels it may read.
                std::erase_if(list, [&grant](const core::ChannelInfo& info) {
                    return !grant->may_subscribe(info.channel);
                });
                exchange->respond(json_response(http::status::ok, wire::channel_list_reply(list)));
            });
}

}  // namespace herald::transport

#include "transport/http/webhook_handlers.hpp"

#include "transport/http/responses.hpp"
#include "wire/webhook_json.hpp"

namespace herald::transport {

using wire::ApiError;

namespace {

Response status_error(core::WebhookAdminStatus status, std::string_view message) {
    switch (status) {
        case core::WebhookAdminStatus::invalid:
            return error_response(ApiError::bad_request, message);
        case core::WebhookAdminStatus::not_found:
            return error_response(ApiError::not_found, "no such webhook");
        case core::WebhookAdminStatus::unavailable:
        case core::WebhookAdminStatus::ok: break;
    }
    return error_response(ApiError::unavailable,
                          message.empty() ? "storage did not answer" : message);
}

void create(core::WebhookAdmin& admin, runtime::ShardId shard, const Request& request,
            ExchangePtr exchange) {
    if (!is_json_media_type(request[http::field::content_type])) {
        return exchange->respond(error_response(ApiError::unsupported_media_type,
                                                "Content-Type must be application/json"));
    }
    auto parsed = wire::parse_webhook_spec(request.body());
    if (auto* error = std::get_if<wire::BodyError>(&parsed)) {
        return exchange->respond(error_response(ApiError::bad_request, error->message));
    }
    admin.create(shard, std::get<core::WebhookSpec>(std::move(parsed)),
                 [exchange = std::move(exchange)](core::WebhookCreated created) {
                     if (created.status != core::WebhookAdminStatus::ok) {
                         return exchange->respond(status_error(created.status, created.message));
                     }
                     Response response =
                             json_response(http::status::created, wire::webhook_json(created.view));
                     response.set(http::field::location, "/v1/webhooks/" + created.view.id);
                     exchange->respond(std::move(response));
                 });
}

}  // namespace

void handle_webhooks(HttpContext& context, runtime::ShardId shard, const Request& request,
                     const std::vector<std::string>& path, ExchangePtr exchange) {
    if (context.webhooks == nullptr) {
        return exchange->respond(error_response(ApiError::not_found, "no such resource"));
    }
    core::WebhookAdmin& admin = *context.webhooks;
    const http::verb method = request.method();
    if (path.empty()) {  // /v1/webhooks
        if (method == http::verb::post) return create(admin, shard, request, std::move(exchange));
        if (method == http::verb::get) {
            return exchange->respond(
                    json_response(http::status::ok, wire::webhook_list_json(admin.list())));
        }
        return exchange->respond(method_not_allowed("GET, POST"));
    }
    const std::string& id = path[0];
    if (path.size() == 1) {  // /v1/webhooks/{id}
        if (method == http::verb::get) {
            for (const auto& view : admin.list()) {
                if (view.id == id) {
                    return exchange->respond(
                            json_response(http::status::ok, wire::webhook_json(view)));
                }
            }
            return exchange->respond(error_response(ApiError::not_found, "no such webhook"));
        }
        if (method != http::verb::delete_) {
            return exchange->respond(method_not_allowed("GET, DELETE"));
        }
        return admin.remove(shard, id,
                            [exchange = std::move(exchange)](core::WebhookAdminStatus status) {
                                if (status != core::WebhookAdminStatus::ok) {
                                    return exchange->respond(status_error(status, ""));
                                }
                                exchange->respond(Response{http::status::no_content, 11});
                            });
    }
    if (path.size() == 2 && path[1] == "deliveries") {
        if (method != http::verb::get) return exchange->respond(method_not_allowed("GET"));
        return admin.deliveries(shard, id,
                                [id, exchange = std::move(exchange)](
                                        core::WebhookAdminStatus status,
                                        std::vector<storage::DeliveryAttempt> attempts) {
                                    if (status != core::WebhookAdminStatus::ok) {
                                        return exchange->respond(status_error(status, ""));
                                    }
                                    exchange->respond(json_response(
                                            http::status::ok, wire::deliveries_json(id, attempts)));
                                });
    }
    exchange->respond(error_response(ApiError::not_found, "no such resource"));
}

}  // namespace herald::transport

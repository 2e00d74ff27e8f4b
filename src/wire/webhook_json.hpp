#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/webhook_admin.hpp"
#include "wire/publish_body.hpp"

namespace herald::wire {

/// `{"url","events":[...],"channels"?:[...],"secret"?}`: shapes only (strings, arrays of
/// strings, no unknown keys); the webhook layer validates the values.
std::variant<core::WebhookSpec, BodyError> parse_webhook_spec(std::string_view body);

/// {"id","url","events","channels","enabled","source","created"[,"secret"]}
std::string webhook_json(const core::WebhookView& view);
/// {"webhooks":[...]}
std::string webhook_list_json(const std::vector<core::WebhookView>& views);
/// {"webhook":ID,"deliveries":[{"event_id","type","attempt","status","error","outcome","time"}]}
std::string deliveries_json(const std::string& id,
                            const std::vector<storage::DeliveryAttempt>& attempts);

}  // namespace herald::wire

#include <cstdio>
#include <iostream>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>

#include "cli/commands.hpp"
#include "cli/ws_client.hpp"

namespace herald::cli {

namespace json = boost::json;

namespace {

/// Publishes `body` (data, event, id) as a WebSocket publish frame and prints the ack; an error
/// frame goes to stderr with exit code 1, like an HTTP error.
int publish_over_ws(const ClientOptions& client, const std::string& channel, json::object body) {
    WsClient ws(client);
    ClientError error;
    json::object frame{{"type", "publish"}, {"channel", channel}};
    for (auto& field : body)
        frame.emplace(field.key(), std::move(field.value()));
    if (!ws.connect(error) || !ws.send(json::serialize(frame), error)) {
        std::cerr << "herald pub: " << error.message << "\n";
        return 1;
    }
    // The server may send other frames first (none today): wait for the answer to this one.
    while (std::optional<std::string> text = ws.read(error)) {
        boost::system::error_code ec;
        const json::value reply = json::parse(*text, ec);
        const json::value* type =
                !ec && reply.is_object() ? reply.as_object().if_contains("type") : nullptr;
        if (type == nullptr) continue;
        if (*type == "ack") {
            std::cout << *text << std::endl;
            ws.close();
            return 0;
        }
        if (*type == "error") {
            std::cerr << "herald pub: error frame: " << *text << "\n";
            ws.close();
            return 1;
        }
    }
    std::cerr << "herald pub: no ack: " << error.message << "\n";
    return 1;
}

}  // namespace

int run_pub(const ClientOptions& client, const PubArguments& arguments) {
    boost::system::error_code ec;
    json::value data = json::parse(arguments.data, ec);
    if (ec) {
        std::cerr << "herald pub: the message is not valid JSON: " << ec.message()
                  << " (quote text like '\"hello\"')\n";
        return 2;
    }
    json::object body{{"data", std::move(data)}};
    if (!arguments.event.empty()) body["event"] = arguments.event;
    if (!arguments.id.empty()) body["id"] = arguments.id;
    if (arguments.ws) return publish_over_ws(client, arguments.channel, std::move(body));

    HttpClient http(client);
    const std::string target = "/v1/channels/" +
                               boost::urls::encode(arguments.channel, boost::urls::pchars) +
                               "/messages";
    ClientError error;
    auto reply = http.request(http::verb::post, target, json::serialize(body), error);
    if (!reply) {
        std::cerr << "herald pub: " << error.message << "\n";
        return 1;
    }
    if (reply->status >= 300) {
        std::cerr << "herald pub: HTTP " << reply->status << ": " << reply->body << "\n";
        return 1;
    }
    std::cout << reply->body << std::endl;
    return 0;
}

}  // namespace herald::cli

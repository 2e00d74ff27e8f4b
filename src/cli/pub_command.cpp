#include <cstdio>
#include <iostream>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>

#include "cli/commands.hpp"
#include "cli/ws_client.hpp"
#include "wire/json_text.hpp"

namespace herald::cli {

namespace json = boost::json;

namespace {

/// The publish fields `"data":D[,"event":E][,"id":I]` without braces. `data` is the user's own
/// text (compacted), never parsed and serialised again: `1e999` or a 30-digit integer must
/// reach the server as typed (API.md Message).
std::string publish_fields(const PubArguments& arguments) {
    std::string fields = "\"data\":" + wire::compact_json(arguments.data);
    if (!arguments.event.empty())
        fields += ",\"event\":" + json::serialize(json::string(arguments.event));
    if (!arguments.id.empty()) fields += ",\"id\":" + json::serialize(json::string(arguments.id));
    return fields;
}

/// Publishes the fields as a WebSocket publish frame and prints the ack; an error frame goes to
/// stderr with exit code 1, like an HTTP error.
int publish_over_ws(const ClientOptions& client, const std::string& channel,
                    const std::string& fields) {
    WsClient ws(client);
    ClientError error;
    const std::string frame =
            "{\"type\":\"publish\",\"channel\":" + json::serialize(json::string(channel)) + "," +
            fields + "}";
    if (!ws.connect(error) || !ws.send(frame, error)) {
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
    json::parse(arguments.data, ec);
    if (ec) {
        std::cerr << "herald pub: the message is not valid JSON: " << ec.message()
                  << " (quote text like '\"hello\"')\n";
        return 2;
    }
    const std::string fields = publish_fields(arguments);
    if (arguments.ws) return publish_over_ws(client, arguments.channel, fields);

    HttpClient http(client);
    const std::string target = "/v1/channels/" +
                               boost::urls::encode(arguments.channel, boost::urls::pchars) +
                               "/messages";
    ClientError error;
    auto reply = http.request(http::verb::post, target, "{" + fields + "}", error);
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

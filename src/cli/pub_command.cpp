#include <cstdio>
#include <iostream>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>

#include "cli/commands.hpp"

namespace herald::cli {

namespace json = boost::json;

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

    HttpClient http(client.url, client.token);
    const std::string target = "/v1/channels/" +
                               boost::urls::encode(arguments.channel, boost::urls::pchars) +
                               "/messages";
    std::string error;
    auto reply = http.request(http::verb::post, target, json::serialize(body), error);
    if (!reply) {
        std::cerr << "herald pub: " << error << "\n";
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

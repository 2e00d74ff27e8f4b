#include <chrono>
#include <iostream>
#include <thread>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>

#include "cli/commands.hpp"

namespace herald::cli {

namespace json = boost::json;

namespace {

/// Polls until `count` messages were printed (or forever). Each request asks for messages
/// after the last one printed, so a dropped connection loses nothing.
class Poller {
public:
    Poller(const ClientOptions& client, const SubArguments& arguments)
        : http_(client.url, client.token),
          arguments_(arguments),
          base_("/v1/channels/" + boost::urls::encode(arguments.channel, boost::urls::pchars) +
                "/messages") {}

    int run() {
        if (arguments_.after) {
            cursor_ = *arguments_.after;
        } else if (!start_live()) {
            return 1;
        }
        const bool long_poll = arguments_.transport == "longpoll";
        while (arguments_.count == 0 || printed_ < arguments_.count) {
            std::string target = base_ + "?after=" + std::to_string(cursor_) + "&limit=1000";
            if (long_poll) target += "&wait=" + std::to_string(arguments_.wait_seconds);
            std::string error;
            auto reply = http_.request(http::verb::get, target, "", error);
            if (!reply || (reply->status >= 500)) {
                std::cerr << "herald sub: "
                          << (reply ? "HTTP " + std::to_string(reply->status) : error)
                          << "; retrying in 1s\n";
                std::this_thread::sleep_for(std::chrono::seconds(1));
                continue;
            }
            if (reply->status >= 400) {
                std::cerr << "herald sub: HTTP " << reply->status << ": " << reply->body << "\n";
                return 1;
            }
            const bool got = reply->status == 200 && print(reply->body);
            if (!long_poll && !got) {
                std::this_thread::sleep_for(
                        std::chrono::duration<double>(arguments_.interval_seconds));
            }
        }
        return 0;
    }

private:
    /// No --after: start from what is newest now, like a stream does.
    bool start_live() {
        std::string error;
        auto reply = http_.request(http::verb::get, base_ + "?limit=1", "", error);
        if (!reply || reply->status != 200) {
            std::cerr << "herald sub: " << (reply ? reply->body : error) << "\n";
            return false;
        }
        cursor_ = json::parse(reply->body).at("last_seq").to_number<std::uint64_t>();
        return true;
    }

    /// Prints the gap and messages of one reply; true if it held any message.
    bool print(const std::string& body) {
        boost::system::error_code ec;
        json::value reply = json::parse(body, ec);
        if (ec || !reply.is_object()) return false;
        const json::object& object = reply.as_object();
        if (const json::value* gap = object.if_contains("gap")) {
            std::cout << json::serialize(*gap) << "\n";
            cursor_ = std::max<std::uint64_t>(cursor_,
                                              gap->at("first_seq").to_number<std::uint64_t>() - 1);
        }
        const json::array& messages = object.at("messages").as_array();
        for (const json::value& message : messages) {
            std::cout << json::serialize(message) << "\n";
            cursor_ = message.at("seq").to_number<std::uint64_t>();
            if (arguments_.count != 0 && ++printed_ >= arguments_.count) break;
        }
        std::cout.flush();
        return !messages.empty();
    }

    HttpClient http_;
    const SubArguments& arguments_;
    std::string base_;
    std::uint64_t cursor_ = 0;
    std::uint64_t printed_ = 0;
};

}  // namespace

int run_sub(const ClientOptions& client, const SubArguments& arguments) {
    if (arguments.transport != "poll" && arguments.transport != "longpoll") {
        std::cerr << "herald sub: transport '" << arguments.transport
                  << "' is not available in this version (poll, longpoll)\n";
        return 2;
    }
    Poller poller(client, arguments);
    return poller.run();
}

}  // namespace herald::cli

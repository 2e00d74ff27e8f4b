#include <chrono>
#include <iostream>
#include <thread>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>

#include "cli/bench/event_stream_parser.hpp"
#include "cli/commands.hpp"
#include "cli/ws_client.hpp"
#include "wire/json_text.hpp"

namespace herald::cli {

namespace json = boost::json;

namespace {

/// What every transport of `herald sub` shares: the cursor, and printing messages and gaps as
/// one JSON line each until `count` messages were printed (or forever).
class Printer {
public:
    Printer(const ClientOptions& client, const SubArguments& arguments)
        : http_(client),
          arguments_(arguments),
          base_("/v1/channels/" + boost::urls::encode(arguments.channel, boost::urls::pchars)) {}

protected:
    /// --after N, or without it what is newest now: only new messages, like a stream's default,
    /// and a cursor to resume from after a drop.
    bool start() {
        if (arguments_.after) {
            cursor_ = *arguments_.after;
            return true;
        }
        ClientError error;
        auto reply = http_.request(http::verb::get, base_ + "/messages?limit=1", "", error);
        if (!reply || reply->status != 200) {
            std::cerr << "herald sub: "
                      << (reply ? "HTTP " + std::to_string(reply->status) + ": " + reply->body
                                : error.message)
                      << "\n";
            return false;
        }
        cursor_ = json::parse(reply->body).at("last_seq").to_number<std::uint64_t>();
        return true;
    }

    bool done() const { return arguments_.count != 0 && printed_ >= arguments_.count; }

    // Each prints the server's own text (`text`, parsed as `parsed`), never `parsed` serialised
    // again: a number like 1e999 in a message's data would come out as something not JSON.

    void print_gap(const json::value& parsed, std::string_view text) {
        std::cout << text << "\n";
        // A reset gap moves the cursor back: the channel starts again at first_seq.
        cursor_ = parsed.at("first_seq").to_number<std::uint64_t>() - 1;
    }

    void print_message(const json::value& parsed, std::string_view text) {
        if (done()) return;
        std::cout << text << "\n";
        cursor_ = parsed.at("seq").to_number<std::uint64_t>();
        ++printed_;
    }

    /// Whether to go on after a failed request (5xx, no answer): yes, after a second; not
    /// after a 4xx or a lasting error (an untrusted certificate).
    bool retry(const std::optional<HttpReply>& reply, const ClientError& error) {
        if (reply && reply->status >= 400 && reply->status < 500) {
            std::cerr << "herald sub: HTTP " << reply->status << ": " << reply->body << "\n";
            return false;
        }
        if (!reply && error.lasting) {
            std::cerr << "herald sub: " << error.message << "\n";
            return false;
        }
        std::cerr << "herald sub: "
                  << (reply ? "HTTP " + std::to_string(reply->status) : error.message)
                  << "; retrying in 1s\n";
        std::this_thread::sleep_for(std::chrono::seconds(1));
        return true;
    }

    HttpClient http_;
    const SubArguments& arguments_;
    std::string base_;
    std::uint64_t cursor_ = 0;
    std::uint64_t printed_ = 0;
};

/// Short or long polling. Each request asks for messages after the last one printed, so a
/// dropped connection loses nothing.
class Poller : Printer {
public:
    using Printer::Printer;

    int run() {
        if (!start()) return 1;
        const bool long_poll = arguments_.transport == "longpoll";
        while (!done()) {
            std::string target =
                    base_ + "/messages?after=" + std::to_string(cursor_) + "&limit=1000";
            if (long_poll) target += "&wait=" + std::to_string(arguments_.wait_seconds);
            ClientError error;
            auto reply = http_.request(http::verb::get, target, "", error);
            if (!reply || reply->status >= 400) {
                if (!retry(reply, error)) return 1;
                continue;
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
    /// Prints the gap and messages of one reply; true if it held any message.
    bool print(const std::string& body) {
        boost::system::error_code ec;
        json::value reply = json::parse(body, ec);
        if (ec || !reply.is_object()) return false;
        const json::object& object = reply.as_object();
        if (const json::value* gap = object.if_contains("gap")) {
            print_gap(*gap, wire::member_text(body, "gap").value_or(""));
        }
        const json::array& messages = object.at("messages").as_array();
        const auto texts = wire::array_items_text(wire::member_text(body, "messages").value_or(""));
        for (std::size_t i = 0; i < messages.size() && texts && i < texts->size(); ++i)
            print_message(messages[i], (*texts)[i]);
        std::cout.flush();
        return !messages.empty();
    }
};

/// Server-Sent Events or an NDJSON stream. When the server ends the stream (restart, slow
/// consumer) it reconnects after the last seq printed, so nothing is lost.
class StreamFollower : Printer {
public:
    using Printer::Printer;

    int run() {
        if (!start()) return 1;
        const bool sse = arguments_.transport == "sse";
        while (!done()) {
            const std::string target =
                    base_ + (sse ? "/events" : "/stream") + "?after=" + std::to_string(cursor_);
            bench::SseParser events;
            bench::NdjsonParser lines;
            ClientError error;
            auto reply = http_.stream(
                    target,
                    [&](std::string_view bytes) {
                        if (sse) {
                            events.feed(bytes, [this](const bench::SseEvent& event) {
                                print_json(event.data);
                            });
                        } else {
                            lines.feed(bytes, [this](std::string_view line) { print_json(line); });
                        }
                        std::cout.flush();
                        return !done();
                    },
                    error);
            if (done()) break;
            if (reply && reply->status == 200) error = {"the server ended the stream"};
            if (!retry(reply && reply->status == 200 ? std::nullopt : reply, error)) return 1;
        }
        return 0;
    }

private:
    void print_json(std::string_view text) {
        boost::system::error_code ec;
        json::value value = json::parse(text, ec);
        if (ec || !value.is_object()) return;
        const json::string* type =
                value.as_object().contains("type") ? value.at("type").if_string() : nullptr;
        if (type != nullptr && *type == "gap") return print_gap(value, text);
        print_message(value, text);
    }
};

/// WebSocket: one subscribe frame per connection, after the last seq printed. When the
/// connection drops (restart, a slow consumer's 1013) it reconnects and subscribes again from
/// there, so nothing is lost. A refused upgrade (4xx), a failed TLS handshake or an error frame
/// ends it.
class WsFollower : Printer {
public:
    WsFollower(const ClientOptions& client, const SubArguments& arguments)
        : Printer(client, arguments), ws_(client) {}

    int run() {
        if (!start()) return 1;
        while (!done()) {
            ClientError error;
            const Outcome outcome = follow(error);
            if (outcome == Outcome::done) break;
            if (outcome == Outcome::refused) {
                std::cerr << "herald sub: " << error.message << "\n";
                return 1;
            }
            std::cerr << "herald sub: " << error.message << "; retrying in 1s\n";
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        return 0;
    }

private:
    enum class Outcome { done, dropped, refused };

    Outcome follow(ClientError& error) {
        if (!ws_.connect(error)) return error.lasting ? Outcome::refused : Outcome::dropped;
        const json::object subscribe{
                {"type", "subscribe"}, {"channel", arguments_.channel}, {"after", cursor_}};
        if (!ws_.send(json::serialize(subscribe), error)) return Outcome::dropped;
        while (!done()) {
            std::optional<std::string> text = ws_.read(error);
            if (!text) return Outcome::dropped;
            if (!print_frame(*text, error)) return Outcome::refused;
            std::cout.flush();
        }
        ws_.close();
        return Outcome::done;
    }

    /// Prints a message or gap frame; false (and `error`) for an error frame.
    bool print_frame(std::string_view text, ClientError& error) {
        boost::system::error_code ec;
        json::value frame = json::parse(text, ec);
        if (ec || !frame.is_object()) return true;
        const json::object& object = frame.as_object();
        const json::value* type = object.if_contains("type");
        if (type == nullptr || !type->is_string()) return true;
        constexpr std::string_view kMessagePrefix = R"({"type":"message",)";
        if (*type == "message" && text.starts_with(kMessagePrefix)) {
            // The API's message object is the frame without its type, which the server puts
            // first: the line is the one SSE and streams print.
            // Appended piece by piece: GCC 12 warns (-Wrestrict) on "literal" + std::string.
            std::string message = "{";
            message.append(text.substr(kMessagePrefix.size()));
            print_message(frame, message);
        } else if (*type == "gap") {
            print_gap(frame, text);
        } else if (*type == "error") {
            error = {"error frame: " + std::string(text), true};
            return false;
        }
        return true;
    }

    WsClient ws_;
};

}  // namespace

int run_sub(const ClientOptions& client, const SubArguments& arguments) {
    const std::string& transport = arguments.transport;
    if (transport == "poll" || transport == "longpoll") return Poller(client, arguments).run();
    if (transport == "sse" || transport == "stream") {
        return StreamFollower(client, arguments).run();
    }
    if (transport == "ws") return WsFollower(client, arguments).run();
    std::cerr << "herald sub: unknown transport '" << transport
              << "' (ws, sse, stream, longpoll, poll)\n";
    return 2;
}

}  // namespace herald::cli

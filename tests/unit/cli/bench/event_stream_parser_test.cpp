#include "cli/bench/event_stream_parser.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace herald::cli::bench {
namespace {

struct Seen {
    std::string id;
    std::string event;
    std::string data;
    bool operator==(const Seen&) const = default;
};

/// Feeds `pieces` one after another and returns every event, copied out of the parser.
std::vector<Seen> parse_sse(const std::vector<std::string>& pieces) {
    SseParser parser;
    std::vector<Seen> seen;
    for (const std::string& piece : pieces) {
        parser.feed(piece, [&seen](const SseEvent& e) {
            seen.push_back({std::string(e.id), std::string(e.event), std::string(e.data)});
        });
    }
    return seen;
}

std::vector<std::string> parse_ndjson(const std::vector<std::string>& pieces) {
    NdjsonParser parser;
    std::vector<std::string> lines;
    for (const std::string& piece : pieces) {
        parser.feed(piece, [&lines](std::string_view line) { lines.emplace_back(line); });
    }
    return lines;
}

// What Herald sends: the retry preamble, two messages, a keepalive, a gap.
const std::string kHeraldStream =
        "retry: 2000\n\n"
        "id: 7\nevent: message\ndata: {\"channel\":\"c\",\"seq\":7,\"data\":{\"t\":1,\"n\":1}}\n\n"
        ": keepalive\n\n"
        "id: 8\nevent: chat.line\ndata: {\"channel\":\"c\",\"seq\":8}\n\n"
        "event: gap\ndata: {\"type\":\"gap\",\"channel\":\"c\",\"after\":2,\"first_seq\":5}\n\n";

const std::vector<Seen> kHeraldEvents = {
        {"7", "message", "{\"channel\":\"c\",\"seq\":7,\"data\":{\"t\":1,\"n\":1}}"},
        {"8", "chat.line", "{\"channel\":\"c\",\"seq\":8}"},
        // The id persists, as in browsers: a gap carries none of its own.
        {"8", "gap", "{\"type\":\"gap\",\"channel\":\"c\",\"after\":2,\"first_seq\":5}"},
};

TEST(SseParser, ParsesHeraldsStreamWithoutDispatchingRetryOrComments) {
    EXPECT_EQ(parse_sse({kHeraldStream}), kHeraldEvents);
}

TEST(SseParser, GivesTheSameEventsWhereverTheStreamIsSplitInTwo) {
    for (std::size_t at = 0; at <= kHeraldStream.size(); ++at) {
        EXPECT_EQ(parse_sse({kHeraldStream.substr(0, at), kHeraldStream.substr(at)}), kHeraldEvents)
                << "split at " << at;
    }
}

TEST(SseParser, GivesTheSameEventsFedOneByteAtATime) {
    std::vector<std::string> bytes;
    for (char c : kHeraldStream)
        bytes.emplace_back(1, c);
    EXPECT_EQ(parse_sse(bytes), kHeraldEvents);
}

TEST(SseParser, AcceptsCrlfAndCrLineEndingsAsTheSpecAllows) {
    const std::vector<Seen> one = {{"1", "message", "a"}};
    EXPECT_EQ(parse_sse({"id: 1\r\ndata: a\r\n\r\n"}), one);
    EXPECT_EQ(parse_sse({"id: 1\rdata: a\r\r"}), one);
    EXPECT_EQ(parse_sse({"id: 1\r\ndata: a\n\r"}), one);
}

TEST(SseParser, ACrlfSplitBetweenPiecesIsOneLineEndNotABlankLine) {
    // Were the LF read as a blank line, "a" would be dispatched alone.
    EXPECT_EQ(parse_sse({"data: a\r", "\ndata: b\r", "\n\r", "\n"}),
              (std::vector<Seen>{{"", "message", "a\nb"}}));
}

TEST(SseParser, JoinsDataLinesAndReadsFieldsTheWayBrowsersDo) {
    EXPECT_EQ(parse_sse({"data:no space\ndata:  two spaces\ndata\n\n"}),
              (std::vector<Seen>{{"", "message", "no space\n two spaces\n"}}));
    EXPECT_EQ(parse_sse({"data\n\n"}), (std::vector<Seen>{{"", "message", ""}}));
    EXPECT_EQ(parse_sse({"unknown: x\nretry: 10\nid: 3\n\n"}), std::vector<Seen>{})
            << "an event without data is not dispatched";
    EXPECT_EQ(parse_sse({"\xEF\xBB\xBF", "data: x\n\n"}), (std::vector<Seen>{{"", "message", "x"}}))
            << "a byte order mark opening the stream is skipped";
}

TEST(SseParser, KeepsTheLastEventIdForAReconnect) {
    SseParser parser;
    parser.feed("id: 1795426583:0\ndata: {\"t\":1,\"n\":1}\n\n: hi\n\n", [](const SseEvent&) {});
    EXPECT_EQ(parser.last_event_id(), "1795426583:0");
}

TEST(NdjsonParser, GivesEachLineOnceWhereverSplitAndSkipsKeepalives) {
    const std::string stream = "{\"seq\":1}\n\n{\"seq\":2}\r\n\r\n{\"type\":\"gap\"}\n";
    const std::vector<std::string> lines = {"{\"seq\":1}", "{\"seq\":2}", "{\"type\":\"gap\"}"};
    for (std::size_t at = 0; at <= stream.size(); ++at) {
        EXPECT_EQ(parse_ndjson({stream.substr(0, at), stream.substr(at)}), lines)
                << "split at " << at;
    }
    EXPECT_EQ(parse_ndjson({"{\"n\":1}"}), std::vector<std::string>{})
            << "a line is only given once it ends";
}

TEST(FindNumber, ReadsTheFirstNumberAfterAKey) {
    std::uint64_t number = 0;
    EXPECT_TRUE(find_number(R"({"channel":"c","seq":17,"data":{"t":1763850000123456,"n":3}})",
                            "\"seq\":", number));
    EXPECT_EQ(number, 17u);
    EXPECT_TRUE(find_number(R"({"t": 42,"n":3})", "\"t\":", number));
    EXPECT_EQ(number, 42u);
    EXPECT_FALSE(find_number(R"({"type":"gap"})", "\"seq\":", number));
    EXPECT_FALSE(find_number(R"({"seq":"x"})", "\"seq\":", number));
}

}  // namespace
}  // namespace herald::cli::bench

#include "transport/http/request_framing.hpp"

#include <initializer_list>
#include <utility>

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

using Fields = std::initializer_list<std::pair<http::field, std::string_view>>;

std::optional<unsigned> refusal_status(Fields fields, unsigned version = 11) {
    http::request_header<> header;
    header.version(version);
    header.method(http::verb::post);
    header.target("/v1/channels/c/messages");
    for (const auto& [name, value] : fields)
        header.insert(name, value);
    auto refusal = framing_refusal(header);
    if (!refusal) return std::nullopt;
    return refusal->result_int();
}

constexpr auto kHost = http::field::host;
constexpr auto kTe = http::field::transfer_encoding;
constexpr auto kLength = http::field::content_length;

TEST(RequestFraming, ChunkedAloneOrContentLengthAreAccepted) {
    EXPECT_EQ(refusal_status({{kHost, "x"}}), std::nullopt);
    EXPECT_EQ(refusal_status({{kHost, "x"}, {kTe, "chunked"}}), std::nullopt);
    EXPECT_EQ(refusal_status({{kHost, "x"}, {kTe, " Chunked "}}), std::nullopt);
    EXPECT_EQ(refusal_status({{kHost, "x"}, {kLength, "5"}}), std::nullopt);
}

TEST(RequestFraming, AnyOtherTransferEncodingIsRefused) {
    for (std::string_view te :
         {"identity", "gzip", "chunked, identity", "gzip, chunked", "chunked, chunked", "deflate",
          "x-gzip", ",", "chunked;q=1, gzip"}) {
        EXPECT_EQ(refusal_status({{kHost, "x"}, {kTe, te}}), 400u) << te;
    }
    EXPECT_EQ(refusal_status({{kHost, "x"}, {kTe, "chunked"}, {kTe, "chunked"}}), 400u)
            << "two fields";
    EXPECT_EQ(refusal_status({{kHost, "x"}, {kTe, "br"}}), 501u) << "not a transfer coding";
    EXPECT_EQ(refusal_status({{kHost, "x"}, {kTe, "chunked, zstd"}}), 501u);
    EXPECT_EQ(refusal_status({{kHost, "x"}, {kTe, "chunked"}, {kLength, "5"}}), 400u);
    EXPECT_EQ(refusal_status({{kHost, "x"}, {kTe, "chunked"}}, 10), 400u) << "HTTP/1.0";
}

TEST(RequestFraming, OneHostIsNeededInHttp11) {
    EXPECT_EQ(refusal_status({}), 400u);
    EXPECT_EQ(refusal_status({{kHost, "a"}, {kHost, "b"}}), 400u);
    EXPECT_EQ(refusal_status({{kHost, "a"}, {kHost, "a"}}), 400u);
    EXPECT_EQ(refusal_status({}, 10), std::nullopt) << "HTTP/1.0 has no Host requirement";
    EXPECT_EQ(refusal_status({{kHost, "a"}, {kHost, "b"}}, 10), 400u);
}

}  // namespace
}  // namespace herald::transport

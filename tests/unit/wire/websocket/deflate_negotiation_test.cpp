#include "wire/websocket/deflate_negotiation.hpp"

#include <gtest/gtest.h>

namespace herald::wire::websocket {
namespace {

constexpr std::string_view kBoth =
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
constexpr DeflateNegotiationOptions kOnlyIfOffered{.require_client_no_context_takeover = false};

std::string response(std::string_view offer, DeflateNegotiationOptions options = {}) {
    const auto agreement = negotiate_permessage_deflate(offer, options);
    return agreement ? agreement->response : "<declined>";
}

TEST(DeflateNegotiation, BrowserOffers) {
    // Chrome, Firefox and Node's ws offer one of these.
    EXPECT_EQ(response("permessage-deflate; client_max_window_bits"), kBoth);
    EXPECT_EQ(response("permessage-deflate"), kBoth);
    const auto agreement = negotiate_permessage_deflate("permessage-deflate");
    ASSERT_TRUE(agreement);
    EXPECT_TRUE(agreement->client_no_context_takeover);
}

TEST(DeflateNegotiation, ClientContextTakeoverKeptWhenWeDoNotRequireIt) {
    const auto agreement = negotiate_permessage_deflate(
            "permessage-deflate; client_max_window_bits", kOnlyIfOffered);
    ASSERT_TRUE(agreement);
    EXPECT_FALSE(agreement->client_no_context_takeover);
    EXPECT_EQ(agreement->response, "permessage-deflate; server_no_context_takeover");
    EXPECT_EQ(response("permessage-deflate; client_no_context_takeover", kOnlyIfOffered), kBoth);
}

TEST(DeflateNegotiation, AllParametersOffered) {
    EXPECT_EQ(response("permessage-deflate; server_no_context_takeover; client_no_context_takeover;"
                       " server_max_window_bits=15; client_max_window_bits=10"),
              std::string(kBoth) + "; server_max_window_bits=15");
    EXPECT_EQ(response("permessage-deflate; server_max_window_bits=\"15\""),
              std::string(kBoth) + "; server_max_window_bits=15");
    for (int bits = 8; bits <= 15; ++bits) {
        EXPECT_EQ(response("permessage-deflate; client_max_window_bits=" + std::to_string(bits)),
                  kBoth);
    }
}

TEST(DeflateNegotiation, ASmallerServerWindowIsDeclinedInFavourOfTheNextOffer) {
    EXPECT_EQ(response("permessage-deflate; server_max_window_bits=10"), "<declined>");
    EXPECT_EQ(response("permessage-deflate; server_max_window_bits=10, permessage-deflate"), kBoth);
}

TEST(DeflateNegotiation, InvalidOffersAreDeclined) {
    for (const std::string_view offer : {
                 "permessage-deflate; foo",
                 "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                 "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
                 "permessage-deflate; server_no_context_takeover=1",
                 "permessage-deflate; client_no_context_takeover=true",
                 "permessage-deflate; server_max_window_bits",
                 "permessage-deflate; server_max_window_bits=16",
                 "permessage-deflate; client_max_window_bits=7",
                 "permessage-deflate; client_max_window_bits=16",
                 "permessage-deflate; client_max_window_bits=015",
                 "permessage-deflate; client_max_window_bits=\"1\\5\"",
                 "permessage-deflate; client_max_window_bits=abc",
         }) {
        EXPECT_EQ(response(offer), "<declined>") << offer;
    }
}

TEST(DeflateNegotiation, OtherExtensionsAreSkipped) {
    EXPECT_EQ(response("x-webkit-deflate-frame, permessage-deflate"), kBoth);
    EXPECT_EQ(response("foo; bar=\"a, b; c\"; baz, permessage-deflate; client_max_window_bits"),
              kBoth);
    EXPECT_EQ(response("x-webkit-deflate-frame; foo=1"), "<declined>");
    EXPECT_EQ(response(""), "<declined>");
}

TEST(DeflateNegotiation, LenientSpellingIsAccepted) {
    EXPECT_EQ(response("PerMessage-Deflate; Client_Max_Window_Bits"), kBoth);
    EXPECT_EQ(response("  permessage-deflate\t;\tclient_max_window_bits = 12 ,"), kBoth);
    EXPECT_EQ(response(", ,permessage-deflate"), kBoth);  // empty list elements
}

TEST(DeflateNegotiation, MalformedHeadersTakeNoExtension) {
    for (const std::string_view header : {
                 "permessage-deflate;",
                 "permessage-deflate; =15",
                 "permessage-deflate; client_max_window_bits=",
                 "permessage-deflate; client_max_window_bits=\"15",
                 "permessage-deflate client_max_window_bits",
                 "permessage-deflate, \"quoted\"",
         }) {
        EXPECT_EQ(response(header), "<declined>") << header;
    }
}

}  // namespace
}  // namespace herald::wire::websocket

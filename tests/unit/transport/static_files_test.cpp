#include "transport/http/static_files.hpp"

#include <gtest/gtest.h>

namespace herald::transport {
namespace {

TEST(EtagMatches, ListsWeakFormsAndStar) {
    EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_matches("W/\"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_matches("\"x\", \"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_matches(" \"x\",W/\"abc\" ", "\"abc\""));
    EXPECT_TRUE(etag_matches("*", "\"abc\""));
    EXPECT_FALSE(etag_matches("", "\"abc\""));
    EXPECT_FALSE(etag_matches("\"abd\"", "\"abc\""));
    EXPECT_FALSE(etag_matches("abc", "\"abc\""));
}

TEST(StaticAssets, RootIsTheDemoAndHeraldJsIsThere) {
    const auto* index = find_static_asset("/");
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(index->path, "/index.html");
    EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
    const auto* client = find_static_asset("/herald.js");
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->content_type, "text/javascript; charset=utf-8");
    EXPECT_NE(client->body.find("Herald"), std::string_view::npos);
    EXPECT_EQ(find_static_asset("/nope.js"), nullptr);
}

TEST(StaticResponse, OkThenNotModified) {
    const auto* asset = find_static_asset("/herald.js");
    ASSERT_NE(asset, nullptr);
    Request request{http::verb::get, "/herald.js", 11};
    auto first = static_response(*asset, request);
    EXPECT_EQ(first.result(), http::status::ok);
    EXPECT_EQ(first[http::field::etag], asset->etag);
    EXPECT_EQ(first[http::field::cache_control], "no-cache");
    EXPECT_EQ(first.body(), asset->body);
    request.set(http::field::if_none_match, asset->etag);
    auto again = static_response(*asset, request);
    EXPECT_EQ(again.result(), http::status::not_modified);
    EXPECT_TRUE(again.body().empty());
    EXPECT_EQ(again[http::field::etag], asset->etag);
}

}  // namespace
}  // namespace herald::transport

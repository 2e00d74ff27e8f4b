#include "webhook/signature.hpp"

#include <array>
#include <memory>
#include <new>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "webhook/base64.hpp"

namespace herald::webhook {
namespace {

struct MacCtxFree {
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

/// Fetched once: an EVP_MAC is reference-counted and safe to share between threads, and
/// fetching it looks up the provider every time.
EVP_MAC* hmac_algorithm() {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

bool update(EVP_MAC_CTX* ctx, std::string_view part) {
    return EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) ==
           1;
}

}  // namespace

std::string signed_content(std::string_view webhook_id, std::int64_t unix_seconds,
                           std::string_view body) {
    std::string content;
    content.reserve(webhook_id.size() + 24 + body.size());
    content.append(webhook_id).append(".").append(std::to_string(unix_seconds)).append(".");
    content.append(body);
    return content;
}

std::string sign(const Secret& secret, std::string_view webhook_id, std::int64_t unix_seconds,
                 std::string_view body) {
    EVP_MAC* mac = hmac_algorithm();
    MacCtx ctx(mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr);
    if (!ctx) throw std::bad_alloc();
    char digest_name[] = "SHA256";
    const std::array params = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
            OSSL_PARAM_construct_end()};
    const auto key = secret.key();
    const std::string timestamp = std::to_string(unix_seconds);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    std::size_t digest_size = 0;
    const bool ok = EVP_MAC_init(ctx.get(), key.data(), key.size(), params.data()) == 1 &&
                    update(ctx.get(), webhook_id) && update(ctx.get(), ".") &&
                    update(ctx.get(), timestamp) && update(ctx.get(), ".") &&
                    update(ctx.get(), body) &&
                    EVP_MAC_final(ctx.get(), digest.data(), &digest_size, digest.size()) == 1;
    // With a valid key and SHA-256 these fail only when OpenSSL runs out of memory.
    if (!ok) throw std::bad_alloc();
    return "v1," + base64_encode(std::span(digest.data(), digest_size));
}

}  // namespace herald::webhook

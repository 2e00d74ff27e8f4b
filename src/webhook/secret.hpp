#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "webhook/invalid_input.hpp"

namespace herald::webhook {

inline constexpr std::string_view kSecretPrefix = "whsec_";
// Standard Webhooks, "Signature scheme": a symmetric key is at least 24 bytes (192 bits) and at
// most 64 (512 bits). The spec's own example secret is exactly 24 bytes.
inline constexpr std::size_t kMinSecretBytes = 24;
inline constexpr std::size_t kMaxSecretBytes = 64;
// What we generate: the HMAC-SHA256 block is 64 bytes, but 32 random bytes already equal the
// hash's strength; longer keys buy nothing.
inline constexpr std::size_t kGeneratedSecretBytes = 32;

/// An endpoint's signing key: the decoded bytes of a `whsec_<base64>` secret.
/// Immutable after construction, so any thread may sign with it. The key bytes are wiped when
/// the object dies, so a freed endpoint leaves no key in reused memory.
class Secret {
public:
    /// Parses `whsec_<base64>`; the error says which part is wrong, never echoing the key.
    static std::variant<Secret, InvalidInput> parse(std::string_view text);

    /// A new secret of kGeneratedSecretBytes from OpenSSL's CSPRNG; nothing if it fails
    /// (not seeded), which the admin API should answer as `503 unavailable`.
    static std::optional<Secret> generate();

    Secret(const Secret& other) = default;
    Secret(Secret&& other) noexcept = default;
    Secret& operator=(const Secret& other);
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    std::span<const unsigned char> key() const { return key_; }

    /// `whsec_` + base64 of the key, in canonical padded form: what the admin API returns once
    /// at creation and what the store keeps.
    std::string text() const;

    friend bool operator==(const Secret& a, const Secret& b) { return a.key_ == b.key_; }

private:
    explicit Secret(std::vector<unsigned char> key) : key_(std::move(key)) {}
    void wipe();

    std::vector<unsigned char> key_;
};

}  // namespace herald::webhook

#include "webhook/secret.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "webhook/base64.hpp"

namespace herald::webhook {

std::variant<Secret, InvalidInput> Secret::parse(std::string_view text) {
    if (!text.starts_with(kSecretPrefix)) {
        return InvalidInput{"secret must start with \"whsec_\""};
    }
    auto key = base64_decode(text.substr(kSecretPrefix.size()));
    if (!key) {
        return InvalidInput{"secret must be \"whsec_\" followed by standard, padded base64"};
    }
    if (key->size() < kMinSecretBytes || key->size() > kMaxSecretBytes) {
        OPENSSL_cleanse(key->data(), key->size());
        return InvalidInput{"secret must decode to " + std::to_string(kMinSecretBytes) + " to " +
                            std::to_string(kMaxSecretBytes) + " bytes, not " +
                            std::to_string(key->size())};
    }
    return Secret(std::move(*key));
}

std::optional<Secret> Secret::generate() {
    std::vector<unsigned char> key(kGeneratedSecretBytes);
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return std::nullopt;
    return Secret(std::move(key));
}

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        wipe();
        key_ = other.key_;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        key_ = std::move(other.key_);
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

void Secret::wipe() {
    if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
}

std::string Secret::text() const {
    return std::string(kSecretPrefix) + base64_encode(key_);
}

}  // namespace herald::webhook

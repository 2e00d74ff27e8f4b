#include "wire/websocket/masking.hpp"

#include <cstring>

namespace herald::wire::websocket {

void apply_mask(std::span<char> data, MaskKey key, std::size_t offset) {
    // The key as it lines up with data[0..7]: built from bytes, so the word is right on any
    // endianness, and memcpy keeps the unaligned loads and stores legal.
    std::array<std::uint8_t, 8> pattern{};
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        pattern[i] = key[(offset + i) % 4];
    }
    std::uint64_t word_mask;
    std::memcpy(&word_mask, pattern.data(), sizeof word_mask);

    char* bytes = data.data();
    const std::size_t size = data.size();
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes + i, sizeof word);
        word ^= word_mask;
        std::memcpy(bytes + i, &word, sizeof word);
    }
    // i is a multiple of 8, hence of 4: the tail starts where pattern[0] lines up again.
    for (std::size_t j = 0; i < size; ++i, ++j) {
        bytes[i] = static_cast<char>(static_cast<std::uint8_t>(bytes[i]) ^ pattern[j]);
    }
}

}  // namespace herald::wire::websocket

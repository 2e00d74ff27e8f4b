#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace herald::wire::websocket {

/// The 4-byte masking key of a client frame, in wire order (RFC 6455 §5.3).
using MaskKey = std::array<std::uint8_t, 4>;

/// XORs `data` with `key` in place; masking and unmasking are the same operation. `offset` is the
/// position of data[0] within the frame payload, so a payload that arrives in pieces is unmasked
/// piece by piece. Eight bytes at a time: every byte a client sends passes through here.
void apply_mask(std::span<char> data, MaskKey key, std::size_t offset = 0);

}  // namespace herald::wire::websocket

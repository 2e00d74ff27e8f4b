#include "wire/websocket/deflater.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#define ZLIB_CONST  // next_in as a pointer to const: we never write the input
#include <zlib.h>

#include "wire/websocket/deflate_negotiation.hpp"
#include "wire/websocket/frame_encoder.hpp"

namespace herald::wire::websocket {

namespace {

constexpr std::string_view kFlushTail("\x00\x00\xff\xff", 4);
constexpr int kMemLevel = 8;  // zlib's default: ~256 KiB, once per shard
constexpr std::size_t kLongestHeader = 10;

}  // namespace

Deflater::Deflater(int level) : level_(level) {}
Deflater::~Deflater() = default;
Deflater::Deflater(Deflater&&) noexcept = default;
Deflater& Deflater::operator=(Deflater&&) noexcept = default;

void Deflater::StreamDeleter::operator()(z_stream_s* stream) const {
    deflateEnd(stream);
    delete stream;
}

bool Deflater::ensure_stream() {
    if (stream_) return true;
    auto stream = std::make_unique<z_stream>();  // value-initialised: zalloc etc. are Z_NULL
    // Negative window bits: raw DEFLATE, no zlib header or checksum (RFC 7692 §7.2.1).
    if (deflateInit2(stream.get(), level_, Z_DEFLATED, -kServerWindowBits, kMemLevel,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return false;
    }
    stream_.reset(stream.release());
    return true;
}

bool Deflater::compress(std::string_view message, std::string& out) {
    if (message.size() > UINT_MAX || !ensure_stream()) return false;
    z_stream& z = *stream_;
    const std::size_t start = out.size();
    z.next_in = reinterpret_cast<const Bytef*>(message.data());
    z.avail_in = static_cast<uInt>(message.size());
    // deflateBound leaves out the flush marker: add room for it, then grow if ever needed.
    out.resize(start + deflateBound(&z, static_cast<uLong>(message.size())) + 16);
    std::size_t produced = 0;
    for (;;) {
        const std::size_t room = std::min<std::size_t>(out.size() - start - produced, UINT_MAX);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + start + produced);
        z.avail_out = static_cast<uInt>(room);
        const int result = deflate(&z, Z_SYNC_FLUSH);
        produced += room - z.avail_out;
        if (result != Z_OK && result != Z_BUF_ERROR) break;
        if (z.avail_out != 0) break;  // all input taken and all output flushed
        out.resize(out.size() * 2);
    }
    const bool flushed = z.avail_in == 0 && produced >= kFlushTail.size() &&
                         std::string_view{out}.substr(start + produced - 4, 4) == kFlushTail;
    deflateReset(&z);  // no context takeover: the next message starts from an empty window
    out.resize(flushed ? start + produced - kFlushTail.size() : start);
    return flushed;
}

std::string encode_deflated_text_frame(Deflater& deflater, std::string_view payload) {
    // Compress behind room for the longest header, then put the header just before the data:
    // one allocation for the whole frame.
    std::string frame(kLongestHeader, '\0');
    if (!deflater.compress(payload, frame)) return encode_text_frame(payload);
    const std::size_t size = frame.size() - kLongestHeader;
    if (size >= payload.size()) return encode_text_frame(payload);
    const FrameHeader header =
            encode_frame_header(Opcode::text, size, {.fin = true, .compressed = true});
    const std::size_t skip = kLongestHeader - header.size;
    std::memcpy(frame.data() + skip, header.bytes.data(), header.size);
    frame.erase(0, skip);
    return frame;
}

}  // namespace herald::wire::websocket

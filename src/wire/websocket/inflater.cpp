#include "wire/websocket/inflater.hpp"

#include <algorithm>
#include <climits>

#define ZLIB_CONST  // next_in as a pointer to const: we never write the input
#include <zlib.h>

#include "wire/websocket/deflate_negotiation.hpp"

namespace herald::wire::websocket {

namespace {

constexpr std::string_view kFlushTail("\x00\x00\xff\xff", 4);
constexpr std::size_t kFirstOutputBytes = 256;

}  // namespace

Inflater::Inflater(bool no_context_takeover, std::size_t max_message_bytes)
    : no_context_takeover_(no_context_takeover), max_message_bytes_(max_message_bytes) {}
Inflater::~Inflater() = default;
Inflater::Inflater(Inflater&&) noexcept = default;
Inflater& Inflater::operator=(Inflater&&) noexcept = default;

void Inflater::StreamDeleter::operator()(z_stream_s* stream) const {
    inflateEnd(stream);
    delete stream;
}

bool Inflater::ensure_stream() {
    if (stream_) return true;
    auto stream = std::make_unique<z_stream>();  // value-initialised: zalloc etc. are Z_NULL
    // Raw DEFLATE; the largest window takes data made with any smaller client_max_window_bits.
    if (inflateInit2(stream.get(), -kServerWindowBits) != Z_OK) return false;
    stream_.reset(stream.release());
    return true;
}

InflateStatus Inflater::inflate(std::string_view message, std::string& out) {
    out.clear();
    if (message.size() > UINT_MAX) return InflateStatus::too_big;
    if (!ensure_stream()) return InflateStatus::no_memory;
    stream_ended_ = false;
    std::size_t produced = 0;
    InflateStatus status = feed(message, out, produced);
    // §7.2.2: the sender stripped the 00 00 ff ff its sync flush ended with; put it back.
    if (status == InflateStatus::ok && !stream_ended_) status = feed(kFlushTail, out, produced);
    // Without context takeover (or once the peer ended its stream) the next message starts afresh.
    if (status != InflateStatus::ok || no_context_takeover_ || stream_ended_) {
        inflateReset(stream_.get());
    }
    out.resize(status == InflateStatus::ok ? produced : 0);
    return status;
}

InflateStatus Inflater::feed(std::string_view input, std::string& out, std::size_t& produced) {
    z_stream& z = *stream_;
    z.next_in = reinterpret_cast<const Bytef*>(input.data());
    z.avail_in = static_cast<uInt>(input.size());
    // Room for one byte past the limit: producing it is how "too big" shows.
    const std::size_t ceiling = max_message_bytes_ + 1;
    for (;;) {
        if (produced == out.size()) {
            if (out.size() >= ceiling) return InflateStatus::too_big;
            out.resize(std::min(ceiling,
                                std::max({out.size() * 2, input.size() * 4, kFirstOutputBytes})));
        }
        const std::size_t room = std::min<std::size_t>(out.size() - produced, UINT_MAX);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        z.avail_out = static_cast<uInt>(room);
        const int result = ::inflate(&z, Z_SYNC_FLUSH);
        produced += room - z.avail_out;
        if (result == Z_STREAM_END) {
            // A final block (BFINAL): what may follow it, such as our tail, is not DEFLATE data.
            stream_ended_ = true;
            return InflateStatus::ok;
        }
        if (result == Z_MEM_ERROR) return InflateStatus::no_memory;
        if (result != Z_OK && result != Z_BUF_ERROR) return InflateStatus::bad_data;
        // inflate stops when the input runs out or the output fills: room left means the former.
        if (z.avail_out != 0) return InflateStatus::ok;
    }
}

}  // namespace herald::wire::websocket

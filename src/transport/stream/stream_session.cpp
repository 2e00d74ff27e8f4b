#include "transport/stream/stream_session.hpp"

#include <cstdio>

#include "wire/stream_encoding.hpp"

namespace herald::transport {

namespace net = boost::asio;

namespace {

constexpr std::string_view kChunkEnd = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kChunkEndThenLast = "\r\n0\r\n\r\n";

const core::Message::Encoder kSseEncoder = wire::sse_event;
const core::Message::Encoder kNdjsonEncoder = wire::ndjson_line;

}  // namespace

StreamSession::StreamSession(runtime::Socket&& socket, Setup setup, core::ChannelService& channels,
                             ShardServices& services, const StreamSettings& settings,
                             const ConnectionSettings& connection, core::ShardMetrics& metrics)
    : StreamingConnection(std::move(socket), std::move(setup.head), connection, services, metrics),
      address_slot_(std::move(setup.address_slot)),
      stream_(channels, setup.shard, std::move(setup.channel), *this),
      identity_(services.presence.make_identity(
              setup.shard, setup.format == StreamFormat::sse ? "sse" : "stream",
              std::move(setup.user))),
      settings_(settings),
      format_(setup.format),
      chunked_(setup.chunked) {
    connections_gauge().inc();
}

StreamSession::~StreamSession() {
    connections_gauge().dec();
}

Gauge& StreamSession::connections_gauge() const {
    return format_ == StreamFormat::sse ? metrics().sse_connections : metrics().stream_connections;
}

void StreamSession::start(std::optional<core::Seq> after) {
    if (!open()) return;
    if (format_ == StreamFormat::sse) push(Frame::own(wire::sse_retry(settings_.retry)));
    membership_ = services().presence.join(stream_.shard(), stream_.channel(), identity_);
    stream_.start(after);
}

const std::string& StreamSession::encoded(const core::Message& message) const {
    return format_ == StreamFormat::sse ? message.encoded(core::WireForm::sse, kSseEncoder)
                                        : message.encoded(core::WireForm::ndjson, kNdjsonEncoder);
}

void StreamSession::on_message(const core::MessagePtr& message) {
    queue().count_message();
    push(Frame{message, encoded(*message)});
}

void StreamSession::on_gap(const core::Gap& gap) {
    push(Frame::own(format_ == StreamFormat::sse ? wire::sse_gap_event(stream_.channel(), gap)
                                                 : wire::ndjson_gap_line(stream_.channel(), gap)));
}

bool StreamSession::has_room(const core::Message* next) const {
    return StreamingConnection::has_room(next != nullptr ? std::optional(encoded(*next).size())
                                                         : std::nullopt);
}

void StreamSession::on_open_tick(KeepaliveTicker::Tick now) {
    if (writing() || now - last_write_tick() < ticker().ticks(settings_.keepalive)) return;
    push(Frame{nullptr,
               format_ == StreamFormat::sse ? wire::kSseKeepalive : wire::kNdjsonKeepalive});
}

std::pair<net::const_buffer, net::const_buffer> StreamSession::framing(std::size_t pending_bytes) {
    if (!chunked_) return {};
    // Closing: this write carries the response's last frames, then its last chunk.
    const bool last = state() == State::closing;
    if (pending_bytes == 0) {
        return {{}, last ? net::buffer(kLastChunk.data(), kLastChunk.size()) : net::const_buffer()};
    }
    const int n = std::snprintf(chunk_size_.data(), chunk_size_.size(), "%zx\r\n", pending_bytes);
    const std::string_view after = last ? kChunkEndThenLast : kChunkEnd;
    return {net::const_buffer(chunk_size_.data(), static_cast<std::size_t>(n)),
            net::buffer(after.data(), after.size())};
}

void StreamSession::on_closed() {
    stream_.stop();
    membership_.reset();
}

}  // namespace herald::transport

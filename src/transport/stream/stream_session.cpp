#include "transport/stream/stream_session.hpp"

#include <cstdio>
#include <span>

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "transport/common/disconnect.hpp"
#include "wire/stream_encoding.hpp"

namespace herald::transport {

namespace net = boost::asio;

namespace {

constexpr std::string_view kChunkEnd = "\r\n";

const core::Message::Encoder kSseEncoder = wire::sse_event;
const core::Message::Encoder kNdjsonEncoder = wire::ndjson_line;

}  // namespace

StreamSession::StreamSession(runtime::Socket&& socket, Setup setup, core::ChannelService& channels,
                             ShardServices& services, const StreamSettings& settings,
                             core::ServerMetrics& metrics)
    : socket_(std::move(socket)),
      address_slot_(std::move(setup.address_slot)),
      stream_(channels, setup.shard, std::move(setup.channel), *this),
      queue_(settings.send_queue_bytes),
      ticker_(services.ticker),
      coalescer_(services.coalescer),
      presence_(services.presence),
      identity_(presence_.make_identity(setup.shard,
                                        setup.format == StreamFormat::sse ? "sse" : "stream",
                                        std::move(setup.user))),
      settings_(settings),
      metrics_(metrics),
      head_(std::move(setup.head)),
      format_(setup.format),
      chunked_(setup.chunked) {
    connections_gauge().inc();
}

StreamSession::~StreamSession() {
    ticker_.remove(*this);  // only registered here if the server never closed it
    connections_gauge().dec();
}

Gauge& StreamSession::connections_gauge() const {
    return format_ == StreamFormat::sse ? metrics_.sse_connections : metrics_.stream_connections;
}

void StreamSession::start(std::optional<core::Seq> after) {
    if (!ticker_.add(*this)) return close(core::CloseReason::shutdown);
    last_write_tick_ = ticker_.now();
    if (format_ == StreamFormat::sse) push(Frame::own(wire::sse_retry(settings_.retry)));
    membership_ = presence_.join(stream_.shard(), stream_.channel(), identity_);
    stream_.start(after);
    schedule_flush();  // the head leaves even when there is nothing to replay
    do_watch();
}

const std::string& StreamSession::encoded(const core::Message& message) const {
    return format_ == StreamFormat::sse ? message.encoded(core::WireForm::sse, kSseEncoder)
                                        : message.encoded(core::WireForm::ndjson, kNdjsonEncoder);
}

void StreamSession::on_message(const core::MessagePtr& message) {
    queue_.count_message();
    push(Frame{message, encoded(*message)});
}

void StreamSession::on_gap(const core::Gap& gap) {
    push(Frame::own(format_ == StreamFormat::sse ? wire::sse_gap_event(stream_.channel(), gap)
                                                 : wire::ndjson_gap_line(stream_.channel(), gap)));
}

bool StreamSession::has_room(const core::Message* next) const {
    if (closed_) return false;
    return queue_.has_replay_room(next != nullptr ? std::optional(encoded(*next).size())
                                                  : std::nullopt);
}

void StreamSession::push(Frame frame) {
    if (closed_) return;
    if (queue_.push(std::move(frame)) == Enqueued::over_limit) {
        metrics_.slow_consumer_closes.inc();
        spdlog::info("stream: a subscriber of {} is {} bytes behind; closing it as a slow consumer",
                     stream_.channel(), queue_.queued_bytes());
        return close(core::CloseReason::slow_consumer);
    }
    schedule_flush();
}

void StreamSession::schedule_flush() {
    if (flush_scheduled_ || writing_ || closed_) return;
    flush_scheduled_ = true;
    coalescer_.schedule(shared_from_this(), last_write_time_);
}

void StreamSession::do_flush() {
    flush_scheduled_ = false;
    if (closed_ || writing_) return;
    if (!queue_.ready() && head_.empty()) return;
    std::size_t size_line = 0;
    if (chunked_ && queue_.pending_bytes() > 0) {
        const int n = std::snprintf(chunk_size_.data(), chunk_size_.size(), "%zx\r\n",
                                    queue_.pending_bytes());
        size_line = static_cast<std::size_t>(n);
    }
    net::const_buffer before(chunk_size_.data(), size_line);
    if (!head_.empty()) {  // the first write: the head, then the first chunk's size line
        head_.append(chunk_size_.data(), size_line);
        before = net::buffer(head_);
    }
    const auto& buffers = queue_.start_write(
            before,
            size_line != 0 ? net::buffer(kChunkEnd.data(), kChunkEnd.size()) : net::const_buffer());
    writing_ = true;
    last_write_tick_ = ticker_.now();
    last_write_time_ = WriteCoalescer::Clock::now();
    if (const std::uint32_t messages = queue_.take_counted_messages()) {
        metrics_.messages_delivered.inc(messages);
    }
    // A span, not the vector: the write keeps a copy of its buffer sequence, and the queue's
    // buffers live until finish_write.
    net::async_write(socket_, std::span<const net::const_buffer>(buffers),
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                         self->on_write(ec);
                     });
}

void StreamSession::on_write(boost::system::error_code ec) {
    writing_ = false;
    if (!head_.empty()) std::string().swap(head_);  // sent: free it
    queue_.finish_write();
    if (closed_) return;
    if (ec) {
        if (!is_normal_disconnect(ec)) {
            spdlog::debug("stream: {} write failed: {}; closing", stream_.channel(), ec.message());
        }
        return close(core::CloseReason::normal);
    }
    stream_.resume();  // a paused history replay goes on as the connection drains
    if (queue_.ready()) schedule_flush();
}

void StreamSession::do_watch() {
    // The client sends nothing after its request; readable means it left (or misbehaves).
    socket_.async_wait(
            net::socket_base::wait_read,
            [self = shared_from_this()](boost::system::error_code ec) { self->on_watch(ec); });
}

void StreamSession::on_watch(boost::system::error_code ec) {
    if (closed_) return;
    if (!ec) {
        std::array<char, 512> discard;
        const ssize_t n =
                ::recv(socket_.native_handle(), discard.data(), discard.size(), MSG_DONTWAIT);
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) {
            return do_watch();  // stray bytes or a spurious wake-up: keep streaming
        }
    }
    close(core::CloseReason::normal);
}

void StreamSession::on_tick(KeepaliveTicker::Tick now) {
    if (closed_) return;
    if (writing_) {
        // A write that has not finished for this long: the peer stopped reading.
        if (now - last_write_tick_ >= ticker_.ticks(settings_.write_timeout)) {
            metrics_.slow_consumer_closes.inc();
            close(core::CloseReason::slow_consumer);
        }
        return;
    }
    if (now - last_write_tick_ >= ticker_.ticks(settings_.keepalive)) {
        push(Frame{nullptr,
                   format_ == StreamFormat::sse ? wire::kSseKeepalive : wire::kNdjsonKeepalive});
    }
}

void StreamSession::close(core::CloseReason) {
    if (std::exchange(closed_, true)) return;
    stream_.stop();
    membership_.reset();
    ticker_.remove(*this);
    // Pending operations complete with operation_aborted and release this session.
    boost::system::error_code ignored;
    socket_.shutdown(net::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
}

}  // namespace herald::transport

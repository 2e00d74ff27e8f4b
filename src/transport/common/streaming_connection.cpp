#include "transport/common/streaming_connection.hpp"

#include <array>

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/write.hpp>

#include "transport/common/disconnect.hpp"

namespace herald::transport {

namespace net = boost::asio;

StreamingConnection::StreamingConnection(runtime::Socket&& socket, std::string head,
                                         const ConnectionSettings& settings,
                                         ShardServices& services, core::ShardMetrics& metrics)
    : socket_(std::move(socket)),
      head_(std::move(head)),
      settings_(settings),
      services_(services),
      metrics_(metrics),
      queue_(settings.send_queue_bytes) {}

StreamingConnection::~StreamingConnection() {
    services_.ticker.remove(*this);  // only registered here if nothing closed it
}

bool StreamingConnection::open() {
    if (!services_.ticker.add(*this)) {
        close();
        return false;
    }
    last_write_tick_ = services_.ticker.now();
    schedule_flush();  // the head leaves even when nothing else is queued
    do_watch();
    return true;
}

void StreamingConnection::push(Frame frame) {
    if (state_ != State::open) return;
    if (queue_.push(std::move(frame)) == Enqueued::over_limit) {
        metrics_.slow_consumer_closes.inc();
        spdlog::info("{}: a connection is {} bytes behind; closing it as a slow consumer", kind(),
                     queue_.queued_bytes());
        return on_overflow();
    }
    schedule_flush();
}

void StreamingConnection::finish(Frame last) {
    if (state_ != State::open) return;
    queue_.push_final(std::move(last));
    state_ = State::closing;
    closing_tick_ = services_.ticker.now();
    schedule_flush();
}

void StreamingConnection::close() {
    if (state_ == State::closed) return;
    state_ = State::closed;
    services_.ticker.remove(*this);
    // Pending operations complete with operation_aborted and release the connection.
    boost::system::error_code ignored;
    socket_.shutdown(net::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
    on_closed();
}

void StreamingConnection::on_tick(KeepaliveTicker::Tick now) {
    KeepaliveTicker& ticker = services_.ticker;
    if (writing_ && now - last_write_tick_ >= ticker.ticks(settings_.write_timeout)) {
        // A write that has not finished for this long: the peer stopped reading.
        metrics_.slow_consumer_closes.inc();
        spdlog::info("{}: a write stalled for {} ms; closing the connection", kind(),
                     settings_.write_timeout.count());
        return close();
    }
    if (state_ == State::closing) {
        // The last frame could not be written (or the peer did not end) in time: a peer that
        // stopped reading would otherwise hold its socket for as long as it stays connected.
        if (now - closing_tick_ >= ticker.ticks(settings_.close_timeout)) {
            spdlog::info("{}: a closing peer did not finish within {} ms; closing its socket",
                         kind(), settings_.close_timeout.count());
            close();
        }
        return;
    }
    if (state_ == State::open) on_open_tick(now);
}

void StreamingConnection::schedule_flush() {
    if (flush_scheduled_ || writing_ || state_ == State::closed) return;
    flush_scheduled_ = true;
    services_.coalescer.schedule(shared_from_this(), last_write_time_);
}

void StreamingConnection::do_flush() {
    flush_scheduled_ = false;
    if (state_ == State::closed || writing_ || (!queue_.ready() && head_.empty())) return;
    auto [before, after] = framing(queue_.pending_bytes());
    if (!head_.empty()) {
        // The first write: the head, then whatever goes before the first frames.
        head_.append(static_cast<const char*>(before.data()), before.size());
        before = net::buffer(head_);
    }
    const auto& buffers = queue_.start_write(before, after);
    writing_ = true;
    last_write_tick_ = services_.ticker.now();
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

void StreamingConnection::on_write(boost::system::error_code ec) {
    writing_ = false;
    if (!head_.empty()) std::string().swap(head_);  // sent: free it
    queue_.finish_write();
    if (state_ == State::closed) return;
    if (ec) {
        if (!is_normal_disconnect(ec)) {
            spdlog::debug("{}: write failed: {}; closing", kind(), ec.message());
        }
        return close();
    }
    if (queue_.ready()) return do_flush();
    if (state_ == State::closing) {
        // The last frame is out: half-close, and wait (on_readable, within the closing
        // deadline) for the peer to end, so that frame is not lost to a reset.
        boost::system::error_code ignored;
        socket_.shutdown(net::socket_base::shutdown_send, ignored);
        return;
    }
    on_drained();
}

void StreamingConnection::do_watch() {
    socket_.async_wait(
            net::socket_base::wait_read,
            [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

void StreamingConnection::on_readable(boost::system::error_code ec) {
    if (state_ == State::closed) return;
    if (ec) return close();
    // Read what is there onto the stack: an adapter keeps what it must across reads, so an idle
    // connection owns no read buffer.
    std::array<char, 16 * 1024> buffer;
    for (int round = 0; round < 4; ++round) {
        const ssize_t n =
                ::recv(socket_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n == 0) return close();  // the peer ended
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
            return close();
        }
        // Closing: what the peer still sends is read and dropped until it ends too.
        if (state_ == State::open) {
            on_bytes(std::span<char>(buffer.data(), static_cast<std::size_t>(n)));
        }
        if (state_ == State::closed) return;
        if (static_cast<std::size_t>(n) < buffer.size()) break;
    }
    do_watch();
}

}  // namespace herald::transport

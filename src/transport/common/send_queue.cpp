#include "transport/common/send_queue.hpp"

namespace herald::transport {

Frame Frame::own(std::string bytes) {
    auto owned = std::make_shared<const std::string>(std::move(bytes));
    std::string_view view(*owned);
    return Frame{std::move(owned), view};
}

Enqueued SendQueue::push(Frame frame) {
    // An empty queue takes any frame, so one message larger than the bound still goes out.
    if (queued_bytes_ != 0 && queued_bytes_ + frame.bytes.size() > max_bytes_) {
        return Enqueued::over_limit;
    }
    queued_bytes_ += frame.bytes.size();
    pending_.push_back(std::move(frame));
    return Enqueued::queued;
}

void SendQueue::push_final(Frame frame) {
    queued_bytes_ += frame.bytes.size();
    pending_.push_back(std::move(frame));
}

const std::vector<boost::asio::const_buffer>& SendQueue::start_write(
        boost::asio::const_buffer before, boost::asio::const_buffer after) {
    in_flight_.swap(pending_);
    in_flight_bytes_ = queued_bytes_;
    buffers_.clear();
    buffers_.reserve(in_flight_.size() + 2);
    if (before.size() != 0) buffers_.push_back(before);
    for (const Frame& frame : in_flight_) {
        buffers_.emplace_back(frame.bytes.data(), frame.bytes.size());
    }
    if (after.size() != 0) buffers_.push_back(after);
    return buffers_;
}

void SendQueue::finish_write() {
    queued_bytes_ -= in_flight_bytes_;
    in_flight_bytes_ = 0;
    in_flight_.clear();
    buffers_.clear();
    if (pending_.empty()) {
        // Nothing queued meanwhile: the connection goes idle, and an idle connection keeps no
        // buffer (docs/ARCHITECTURE.md). Under load frames queue during every write and nothing is
        // freed; at light load the three small allocations cost little next to the write's syscall.
        std::vector<Frame>().swap(pending_);
        std::vector<Frame>().swap(in_flight_);
        std::vector<boost::asio::const_buffer>().swap(buffers_);
        return;
    }
    // Busy: keep a little capacity for the next write, drop what a burst grew.
    if (in_flight_.capacity() > kKeptFrames) in_flight_.shrink_to_fit();
    if (buffers_.capacity() > kKeptFrames) buffers_.shrink_to_fit();
}

}  // namespace herald::transport

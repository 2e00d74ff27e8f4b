#include "transport/common/send_queue.hpp"

namespace herald::transport {

Frame Frame::own(std::string bytes) {
    auto owned = std::make_shared<const std::string>(std::move(bytes));
    std::string_view view(*owned);
    return Frame{std::move(owned), view};
}

Enqueued SendQueue::push(Frame frame) {
    if (queued_bytes_ + frame.bytes.size() > max_bytes_) return Enqueued::over_limit;
    queued_bytes_ += frame.bytes.size();
    pending_.push_back(std::move(frame));
    return Enqueued::queued;
}

const std::vector<boost::asio::const_buffer>& SendQueue::start_write() {
    in_flight_.swap(pending_);
    buffers_.clear();
    buffers_.reserve(in_flight_.size());
    for (const Frame& frame : in_flight_) {
        buffers_.emplace_back(frame.bytes.data(), frame.bytes.size());
    }
    return buffers_;
}

void SendQueue::finish_write() {
    for (const Frame& frame : in_flight_)
        queued_bytes_ -= frame.bytes.size();
    in_flight_.clear();  // keeps its capacity: the next swap reuses it
    buffers_.clear();
}

}  // namespace herald::transport

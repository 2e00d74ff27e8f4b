#include "transport/poll/long_poll_waiter.hpp"

#include <boost/asio/post.hpp>

#include "transport/http/responses.hpp"
#include "transport/poll/read_handler.hpp"
#include "wire/json_responses.hpp"

namespace herald::transport {

namespace net = boost::asio;

void LongPollWaiter::start(HttpContext& context, runtime::ShardId shard, const std::string& channel,
                           std::optional<core::Seq> cursor, std::size_t limit,
                           std::chrono::milliseconds wait, CountedSlot held, ExchangePtr exchange) {
    // Without a cursor the read answers from the oldest retained message; when there is none,
    // the first message delivered is the answer.
    const core::Seq after = cursor.value_or(0);
    auto waiter = std::make_shared<LongPollWaiter>(context, shard, channel, after, limit,
                                                   std::move(held), std::move(exchange));
    waiter->subscription_ = context.channels.hub().subscribe(shard, channel, waiter.get());
    waiter->exchange_->on_disconnect([weak = std::weak_ptr(waiter)] {
        if (auto self = weak.lock()) self->abort();
    });
    // Registered for shutdown; a server already stopping answers at once.
    const bool serving = context.services(shard).ticker.add(*waiter);
    waiter->arm(serving ? wait : std::chrono::milliseconds(0));
    // Subscribed first: a message committed while the read runs is delivered to the waiter.
    context.channels.read(shard, channel, cursor, limit,
                          [waiter](core::ReadResult read) { waiter->on_read(read); });
}

void LongPollWaiter::on_read(const core::ReadResult& read) {
    if (!read.failed && read.messages.empty() && !read.gap) return;  // nothing yet: hold it
    if (!end()) return;
    exchange_->respond(read_answer(channel_, read));
    exchange_.reset();
}

bool LongPollWaiter::end() {
    if (std::exchange(done_, true)) return false;
    if (registered()) context_.services(shard_).ticker.remove(*this);
    held_ = CountedSlot();  // the client may poll again at once
    subscription_.reset();
    timer_.cancel();
    return true;
}

LongPollWaiter::LongPollWaiter(HttpContext& context, runtime::ShardId shard, std::string channel,
                               core::Seq after, std::size_t limit, CountedSlot held,
                               ExchangePtr exchange)
    : context_(context),
      shard_(shard),
      metrics_(context.metrics.shard(shard)),
      channel_(std::move(channel)),
      after_(after),
      limit_(limit),
      held_(std::move(held)),
      exchange_(std::move(exchange)),
      timer_(context.channels.hub().executor(shard)) {
    metrics_.long_poll_waits.inc();
}

LongPollWaiter::~LongPollWaiter() {
    if (registered()) context_.services(shard_).ticker.remove(*this);
    metrics_.long_poll_waits.dec();
}

void LongPollWaiter::arm(std::chrono::milliseconds wait) {
    timer_.expires_after(wait);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec) return;  // cancelled: answered or aborted
        if (!self->done_) self->metrics_.long_poll_timeouts.inc();
        self->finish();
    });
}

void LongPollWaiter::deliver(const core::MessagePtr& message) {
    if (done_ || message->seq() <= after_ || collected_.size() >= limit_) return;
    collected_.push_back(message);
    if (collected_.size() == 1) {
        // Answer after the rest of this committed batch has been delivered: one response
        // carries all of it.
        net::post(timer_.get_executor(), [self = shared_from_this()] { self->finish(); });
    }
}

void LongPollWaiter::finish() {
    if (!end()) return;
    if (collected_.empty()) {
        exchange_->respond(Response{http::status::no_content, 11});
    } else {
        metrics_.messages_delivered.inc(collected_.size());
        exchange_->respond(json_response(
                http::status::ok,
                wire::read_reply(channel_, collected_, collected_.back()->seq(), std::nullopt)));
    }
    exchange_.reset();
}

void LongPollWaiter::abort() {
    if (!end()) return;
    exchange_.reset();
}

}  // namespace herald::transport

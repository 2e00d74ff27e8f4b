#pragma once

#include <algorithm>
#include <chrono>

namespace herald {

/// A token bucket: `rate` tokens a second, holding at most `burst`. Rate 0: unlimited.
/// Thread: its owner's (one connection's).
class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    TokenBucket() = default;
    TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

    /// Takes one token if there is one.
    [[nodiscard]] bool take(Clock::time_point now = Clock::now()) {
        if (rate_ <= 0) return true;
        refill(now);
        if (tokens_ < 1) return false;
        tokens_ -= 1;
        return true;
    }

    /// How long until the next token, for a Retry-After (whole seconds, at least 1).
    int seconds_until_next() const {
        if (rate_ <= 0 || tokens_ >= 1) return 0;
        const double seconds = (1 - tokens_) / rate_;
        return std::max(1, static_cast<int>(seconds + 0.999));
    }

private:
    void refill(Clock::time_point now) {
        if (last_ != Clock::time_point{}) {
            const double elapsed = std::chrono::duration<double>(now - last_).count();
            tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        }
        last_ = now;
    }

    double rate_ = 0;
    double burst_ = 0;
    double tokens_ = 0;
    Clock::time_point last_{};
};

}  // namespace herald

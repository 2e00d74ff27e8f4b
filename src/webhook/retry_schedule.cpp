#include "webhook/retry_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace herald::webhook {

RetrySchedule::RetrySchedule(RetryPolicy policy, Random random)
    : policy_(std::move(policy)), random_(std::move(random)) {}

RetrySchedule::Random RetrySchedule::default_random() {
    return [] {
        thread_local std::mt19937_64 engine{std::random_device{}()};
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
}

std::chrono::milliseconds RetrySchedule::nominal_delay(std::uint32_t failed_attempts) const {
    const std::size_t index = failed_attempts == 0 ? 0 : failed_attempts - 1;
    if (index < policy_.delays.size()) return policy_.delays[index];
    return policy_.then_every;
}

std::chrono::milliseconds RetrySchedule::longest_delay() const {
    std::chrono::milliseconds longest = policy_.then_every;
    for (const auto delay : policy_.delays)
        longest = std::max(longest, delay);
    return longest;
}

std::optional<std::chrono::milliseconds> RetrySchedule::next_delay(
        std::uint32_t failed_attempts, std::chrono::milliseconds since_first_attempt,
        std::chrono::milliseconds at_least) const {
    const double nominal = static_cast<double>(nominal_delay(failed_attempts).count());
    // A broken random source must not turn into a negative or huge wait: clamp to [0, 1].
    const double unit = std::clamp(random_(), 0.0, 1.0);
    const double factor = 1.0 + policy_.jitter * (2.0 * unit - 1.0);
    // Floor, not round: a factor just under 1 + jitter must not round up to the band's
    // excluded upper end (seen as a flaky unit test).
    const auto jittered = std::chrono::milliseconds(
            std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(nominal * factor))));
    const auto delay = std::max(jittered, std::min(at_least, longest_delay()));
    if (since_first_attempt + delay > policy_.give_up_after) return std::nullopt;
    return delay;
}

}  // namespace herald::webhook

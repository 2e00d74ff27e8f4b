#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace herald::webhook {

/// API.md: "about 1 s, 5 s, 30 s, 2 min, 10 min, 30 min, then hourly up to 24 h", with jitter.
/// A plain struct so a test or a future config key can change one bound by name.
struct RetryPolicy {
    // The wait after the 1st, 2nd, ... failed attempt; after the last one, `then_every`.
    std::vector<std::chrono::milliseconds> delays = {
            std::chrono::seconds(1), std::chrono::seconds(5),  std::chrono::seconds(30),
            std::chrono::minutes(2), std::chrono::minutes(10), std::chrono::minutes(30)};
    std::chrono::milliseconds then_every = std::chrono::hours(1);
    // No attempt is scheduled later than this after the first one: nominally 30 attempts,
    // the last about 23 h 43 min in.
    std::chrono::milliseconds give_up_after = std::chrono::hours(24);
    // Each wait is scaled by a factor drawn from [1 - jitter, 1 + jitter), so endpoints that
    // failed together (a receiver restart) do not all retry in the same second.
    double jitter = 0.2;
};

/// When to try a failed delivery again. Pure arithmetic over what the outbox row already
/// holds (attempt count, time of the first attempt), so a restart resumes the same schedule.
/// Thread: const calls from any thread if the random source allows it; the default one is
/// thread-local.
class RetrySchedule {
public:
    /// Returns a number uniform in [0, 1). Tests inject a fixed one.
    using Random = std::function<double()>;

    explicit RetrySchedule(RetryPolicy policy = {}, Random random = default_random());

    /// The wait before the next attempt, after `failed_attempts` (>= 1) have failed and
    /// `since_first_attempt` has passed since the first one began; nothing means give up (mark
    /// the delivery failed), because that attempt would start past `give_up_after`.
    /// `at_least`: what the receiver asked for (Retry-After); the wait is never shorter, but
    /// never longer than longest_delay() on its account either.
    std::optional<std::chrono::milliseconds> next_delay(
            std::uint32_t failed_attempts, std::chrono::milliseconds since_first_attempt,
            std::chrono::milliseconds at_least = std::chrono::milliseconds(0)) const;

    /// The longest wait of the schedule (API.md: hourly), without jitter.
    std::chrono::milliseconds longest_delay() const;

    /// The wait without jitter, for documentation and tests.
    std::chrono::milliseconds nominal_delay(std::uint32_t failed_attempts) const;

    const RetryPolicy& policy() const { return policy_; }

    /// A thread_local std::mt19937_64 seeded from std::random_device.
    static Random default_random();

private:
    RetryPolicy policy_;
    Random random_;
};

}  // namespace herald::webhook

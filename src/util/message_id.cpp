#include "util/message_id.hpp"

namespace herald {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

MessageIdGenerator::MessageIdGenerator() : random_(std::random_device{}()) {}

std::string MessageIdGenerator::next(std::int64_t unix_millis) {
    std::string id(28, '0');
    id[0] = 'm';
    id[1] = '_';
    auto time = static_cast<std::uint64_t>(unix_millis);
    for (int i = 9; i >= 0; --i) {  // 10 characters of time, 5 bits each
        id[2 + static_cast<std::size_t>(i)] = kCrockford[time & 31];
        time >>= 5;
    }
    std::uint64_t high = random_();
    std::uint64_t low = random_();
    for (std::size_t i = 12; i < 28; ++i) {  // 16 characters of randomness
        std::uint64_t& source = i < 20 ? high : low;
        id[i] = kCrockford[source & 31];
        source >>= 5;
    }
    return id;
}

}  // namespace herald

#include "runtime/shard.hpp"

#include <exception>
#include <string>

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace herald::runtime {

void Shard::start() {
    running_.store(true, std::memory_order_release);
    thread_ = std::thread([this] {
        const std::string name = "shard-" + to_string(id_);
        pthread_setname_np(pthread_self(), name.c_str());
        try {
            context_.run();
        } catch (const std::exception& error) {
            // A handler that throws is a bug; dying loudly beats serving half a shard.
            spdlog::critical("{}: unhandled exception: {}; aborting", name, error.what());
            std::terminate();
        }
    });
}

void Shard::stop() {
    work_.reset();
    context_.stop();
}

void Shard::join() {
    if (thread_.joinable()) thread_.join();
    running_.store(false, std::memory_order_release);
}

}  // namespace herald::runtime

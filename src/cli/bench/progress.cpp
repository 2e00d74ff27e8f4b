#include "cli/bench/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <unistd.h>

namespace herald::cli::bench {

Progress::Progress(std::string label, std::function<double()> fraction)
    : label_(std::move(label)), fraction_(std::move(fraction)) {
    if (isatty(STDERR_FILENO) == 0) return;
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, std::chrono::milliseconds(200),
                               [this] { return stopping_; })) {
            draw(fraction_());
        }
        std::fprintf(stderr, "\r\033[K");
    });
}

Progress::~Progress() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Progress::draw(double fraction) {
    constexpr int kWidth = 30;
    fraction = std::clamp(fraction, 0.0, 1.0);
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %3.0f%%", label_.c_str(), bar.c_str(), fraction * 100);
    std::fflush(stderr);
}

}  // namespace herald::cli::bench

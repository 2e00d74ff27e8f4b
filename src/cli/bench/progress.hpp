#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace herald::cli::bench {

/// A progress bar on stderr while a run goes on, when stderr is a terminal; nothing otherwise
/// (logs and CI output stay clean). Stops and clears its line when destroyed.
/// Thread: its own; `fraction` is called from it and must be thread-safe.
class Progress {
public:
    Progress(std::string label, std::function<double()> fraction);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

private:
    void draw(double fraction);

    std::string label_;
    std::function<double()> fraction_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace herald::cli::bench

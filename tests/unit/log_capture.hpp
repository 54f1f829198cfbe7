// SPDX-License-Identifier: LGPL-2.1-or-later
// Sends spdlog's default logger to a string for the lifetime of the object, so a test can
// assert what was logged (a failure we chose to continue after must be logged, never lost).
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace ilvm::test {

class LogCapture {
public:
    LogCapture() : previous_(spdlog::default_logger()) {
        auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_st>(log_));
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;

    std::string text() const { return log_.str(); }
    bool contains(const std::string &fragment) const { return log_.str().find(fragment) != std::string::npos; }

private:
    std::ostringstream log_;
    std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace ilvm::test

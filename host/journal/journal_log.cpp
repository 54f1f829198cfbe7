// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/journal/journal_log.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>
#include <vector>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
// CODE_FILE/CODE_LINE would name this file, not the line that logged: left out, and
// sd_journal_sendv is then the library's function itself, not a macro around another.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "common/shared_library.hpp"

namespace ilvm::host {
namespace {

// libsystemd is loaded only when a line goes to the journal: linked, it and the five
// libraries it needs (gcrypt, lz4, zstd, lzma, cap) cost every `ilvm` run ~2.3 ms of
// dynamic linking (issue 16: `ilvm --help` ≤ 15 ms), and most runs log nothing there.
struct JournalApi {
    decltype(&::sd_journal_sendv) sendv = nullptr;

    static Status resolve_from(const SharedLibrary &lib, JournalApi &api) {
        return lib.resolve("sd_journal_sendv", api.sendv);
    }
};

class JournalSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
    JournalSink(std::string identifier, std::shared_ptr<const LogFields> fields, JournalSender send)
        : identifier_(std::move(identifier)), fields_(std::move(fields)), send_(std::move(send)) {}

protected:
    void sink_it_(const spdlog::details::log_msg &msg) override {
        std::vector<std::string> entries;
        entries.push_back("MESSAGE=" + std::string(msg.payload.data(), msg.payload.size()));
        entries.push_back("PRIORITY=" + std::to_string(journal_priority(static_cast<int>(msg.level))));
        entries.push_back("SYSLOG_IDENTIFIER=" + identifier_);
        if (fields_) {
            if (!fields_->pool.empty()) entries.push_back("POOL=" + fields_->pool);
            if (!fields_->volume.empty()) entries.push_back("VOLUME=" + fields_->volume);
            if (!fields_->domain.empty()) entries.push_back("DOMAIN=" + fields_->domain);
        }
        if (send_(entries) < 0) {
            // The journal is gone (shutdown): the line must not be lost, stderr still works.
            std::fprintf(stderr, "%.*s\n", static_cast<int>(msg.payload.size()), msg.payload.data());
        }
    }
    void flush_() override {}

private:
    std::string identifier_;
    std::shared_ptr<const LogFields> fields_;
    JournalSender send_;
};

}  // namespace

bool stderr_is_journal() {
    const char *stream = std::getenv("JOURNAL_STREAM");
    if (!stream || !*stream) return false;
    uintmax_t dev = 0, ino = 0;
    if (std::sscanf(stream, "%" SCNuMAX ":%" SCNuMAX, &dev, &ino) != 2) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<uintmax_t>(st.st_dev) == dev && static_cast<uintmax_t>(st.st_ino) == ino;
}

bool stderr_is_discarded() {
    struct stat err {}, null {};
    if (fstat(STDERR_FILENO, &err) != 0) return errno == EBADF;
    return S_ISCHR(err.st_mode) && stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) && err.st_rdev == null.st_rdev;
}

int send_to_journal(const std::vector<std::string> &fields) {
    auto api = SharedLibrary::table_once<JournalApi>("libsystemd.so.0", "install systemd's library (Debian: libsystemd0)");
    if (!api.ok()) {
        // Said once: the sink then writes each line to stderr, which the journal still stores.
        static std::once_flag said;
        std::call_once(said, [&] {
            std::fprintf(stderr, "warning: journal entries without fields: %s\n", api.error().message.c_str());
        });
        return -ENOSYS;
    }
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (const auto &f : fields) iov.push_back(iovec{const_cast<char *>(f.data()), f.size()});
    return (*api)->sendv(iov.data(), static_cast<int>(iov.size()));
}

std::shared_ptr<spdlog::sinks::sink> make_journal_sink(std::string identifier, std::shared_ptr<const LogFields> fields,
                                                       JournalSender send) {
    return std::make_shared<JournalSink>(std::move(identifier), std::move(fields), std::move(send));
}

int journal_priority(int spdlog_level) {
    switch (static_cast<spdlog::level::level_enum>(spdlog_level)) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LOG_DEBUG;
    case spdlog::level::info: return LOG_INFO;
    case spdlog::level::warn: return LOG_WARNING;
    case spdlog::level::err: return LOG_ERR;
    case spdlog::level::critical: return LOG_CRIT;
    default: return LOG_NOTICE;
    }
}

}  // namespace ilvm::host

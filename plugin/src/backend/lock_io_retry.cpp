// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/lock_io_retry.hpp"

#include "backend/tool_messages.hpp"
#include "common/log.hpp"

namespace ilvm {

Result<CommandOutput> LockIoRetry::run(const Command &cmd) {
    for (int attempt = 1;; ++attempt) {
        auto out = inner().run(cmd);
        if (!out.ok() || out->succeeded() || attempt == kLockIoAttempts || !says(out->err, ToolMessage::lock_io_error))
            return out;
        spdlog::warn("{}: {} (sanlock could not read or write the lease in time); asking again (attempt {} of {})",
                     cmd.display(), out->first_error_line(), attempt + 1, kLockIoAttempts);
        inner().sleep_for(kLockIoPause * attempt);
    }
}

}  // namespace ilvm

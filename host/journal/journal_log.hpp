// SPDX-License-Identifier: LGPL-2.1-or-later
// Where the log lines of ilvm and ilvmd go. On a terminal or a pipe: stderr as "warning: text",
// the way an administrator reads them. When systemd runs them (the boot service, the
// reconciler, the migration finisher, the agent), stderr is a stream into the journal, which
// would store each line at priority info with no fields; there each line becomes a journal
// entry of its own with PRIORITY from its level, SYSLOG_IDENTIFIER (ilvm, ilvmd) and the POOL,
// VOLUME and DOMAIN the program works on, so `journalctl -p warning POOL=san` finds them.
// Its own library (ilvm-journal): the qemu hook logs to syslog. libsystemd itself is loaded
// when the first entry is sent, not linked (journal_log.cpp).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/sink.h>

namespace ilvm::host {

struct LogFields {
    std::string pool;
    std::string volume;
    std::string domain;
};

// systemd.exec(5): JOURNAL_STREAM holds "device:inode" of the stream it connected to
// stderr; it is inherited, so only a match with stderr's own says the journal reads it.
bool stderr_is_journal();

// stderr goes nowhere: closed, or /dev/null. What a daemon's child inherits: sanlock
// daemonizes with daemon(0, 0), and `ilvm lease-lost`, run by lvmlockctl from sanlock's kill
// path, gets that stderr. Its lines then go to the journal, as under systemd.
bool stderr_is_discarded();

// Sends one journal entry ("FIELD=value" each); < 0 (an errno) when it could not.
using JournalSender = std::function<int(const std::vector<std::string> &fields)>;

// sd_journal_sendv of libsystemd.so.0, loaded at the first call; -ENOSYS when it cannot be.
int send_to_journal(const std::vector<std::string> &fields);

// A sink sending each message as one entry; `fields` (set once the command line is parsed)
// are added to every later entry. When sending fails the line goes to stderr instead.
std::shared_ptr<spdlog::sinks::sink> make_journal_sink(std::string identifier, std::shared_ptr<const LogFields> fields,
                                                       JournalSender send = send_to_journal);

// The journal's priority (syslog's levels) of an spdlog level.
int journal_priority(int spdlog_level);

}  // namespace ilvm::host

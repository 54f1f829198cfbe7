// SPDX-License-Identifier: LGPL-2.1-or-later
// `sanlock client status -D` and `sanlock client host_status -D` output
// (plugin/src/sanlock/client_status): parse_sanlock_status, joined_host_id,
// parse_sanlock_host_status and sanlock_host_live on any text. The backend reads the first
// to tell its own shared lock from another host's; host-validate reads both.
#include <algorithm>

#include "fuzz_check.hpp"
#include "sanlock/client_status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    namespace sl = ilvm::sanlock;
    const std::string_view text = ilvm::fuzz::as_text(data, size);

    const sl::SanlockStatus st = sl::parse_sanlock_status(text);
    FUZZ_CHECK(st.daemon_name.find('\n') == std::string::npos, "a daemon name over two lines");
    for (const auto &ls : st.lockspaces) {
        FUZZ_CHECK(ls.name.find(':') == std::string::npos, "a lockspace name with ':' in it: " + ls.name);
        // A lockspace sanlock is still adding (":ADD") or removing is not joined: the backend
        // must not count a pool as started on it (af6b850).
        const auto id = sl::joined_host_id(st, ls.name);
        const auto first = std::find_if(st.lockspaces.begin(), st.lockspaces.end(),
                                        [&](const sl::SanlockLockspace &l) { return l.name == ls.name; });
        const bool joined = first->joined();   // sanlock lists a lockspace once; the first counts
        FUZZ_CHECK(id.has_value() == joined, "joined_host_id disagrees with the lockspace's state: " + ls.name);
    }

    for (const auto &h : sl::parse_sanlock_host_status(text)) {
        const bool live = sl::sanlock_host_live(h);
        FUZZ_CHECK(h.timestamp != 0 || !live, "a free host slot reported live");
    }
    return 0;
}

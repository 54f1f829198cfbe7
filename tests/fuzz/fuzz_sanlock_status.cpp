// SPDX-License-Identifier: LGPL-2.1-or-later
// `sanlock client status -D` and `sanlock client host_status -D` output
// (plugin/src/sanlock/client_status): parse_sanlock_status, joined_host_id,
// parse_sanlock_host_status and sanlock_host_live on any text. The backend reads the first
// to tell its own shared lock from another host's; host-validate reads both.
#include "fuzz_check.hpp"
#include "sanlock/client_status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    namespace sl = ilvm::sanlock;
    const std::string_view text = ilvm::fuzz::as_text(data, size);

    const sl::SanlockStatus st = sl::parse_sanlock_status(text);
    FUZZ_CHECK(st.daemon_name.find('\n') == std::string::npos, "a daemon name over two lines");
    for (const auto &ls : st.lockspaces) {
        FUZZ_CHECK(ls.name.find(':') == std::string::npos, "a lockspace name with ':' in it: " + ls.name);
        const auto id = sl::joined_host_id(st, ls.name);
        FUZZ_CHECK(id.has_value(), "joined_host_id lost lockspace " + ls.name);
    }

    for (const auto &h : sl::parse_sanlock_host_status(text)) {
        const bool live = sl::sanlock_host_live(h);
        FUZZ_CHECK(h.timestamp != 0 || !live, "a free host slot reported live");
    }
    return 0;
}

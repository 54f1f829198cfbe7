// SPDX-License-Identifier: LGPL-2.1-or-later
// The host's side of the rejoin_pool callback (plugin/include/iscsi-lvm/backend.h; the
// module's side is plugin/src/xml/rejoin_xml): which volumes `ilvm pool-rejoin` asks about
// and whether to take each back, and what became of each. A unit test reads what the module
// writes, so the two sides cannot drift apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ilvm::host {

struct RejoinAsk {
    std::string volume;
    bool take_back = false;   // a domain here uses it: take it back if no other host had it
};

// <rejoin><volume name='V' take_back='yes|no'/>…</rejoin>
std::string format_rejoin_request(const std::vector<RejoinAsk> &asks);

struct RejoinedVolumeView {
    std::string volume;
    std::string result;       // taken-back | released | in-use | failed
    uint32_t holder_id = 0;   // another host holding it now; 0: none known
    std::string holder_name;
    std::string detail;       // why, one line
    bool taken_back() const { return result == "taken-back"; }
    bool released() const { return result == "released"; }
};

struct RejoinView {
    bool lockspace_started = false;   // this call joined the lockspace again (else it was joined)
    std::vector<RejoinedVolumeView> volumes;
};

// <rejoin pool='P' vg='VG' lockspace='started|joined'><volume name='V' result='…'
// [holder_id='N'] [holder_name='H'] [detail='…']/>…</rejoin>
Result<RejoinView> parse_rejoin(const std::string &xml);

}  // namespace ilvm::host

// SPDX-License-Identifier: LGPL-2.1-or-later
// The texts of external commands that the backend recognises, in one table (tool_messages.cpp)
// with the tool and the version each was seen in. Decisions go by exit codes where the tool
// has meaningful ones (iscsiadm); LVM exits 5 for nearly every failure, so for LVM the text
// is all there is. A rewording in a new LVM release shows up here, and in the golden tests'
// recorded outputs, not as a silent change of behaviour.
#pragma once

#include <string_view>

namespace ilvm {

enum class ToolMessage {
    vg_not_found,            // vgs: the VG does not exist (or is not visible) here
    lv_not_found,            // lvs VG/LV: the VG has no such LV
    lv_exists,               // lvcreate: the VG already has an LV of that name
    vg_no_space,             // lvcreate: the VG has too few free extents
    no_pv_label,             // pvs: the device carries no LVM label
    lv_locked_elsewhere,     // lvchange: another host holds an incompatible LV lock
    vg_locked_elsewhere,     // any LVM command on a shared VG: another host holds the VG lock
    lockspace_not_started,   // any LVM command on a shared VG whose lockspace is not started here
    vg_in_use_elsewhere,     // vgremove: another host still has the VG's lockspace started
    lock_lv_not_ready,       // vgchange --lock-start: lvmlockd could not use the VG's lvmlock LV (yet)
    login_reason,            // iscsiadm --login: the line that says why the login failed
    lock_io_error,           // any LVM command on a shared VG: sanlock could not read or write a lease in time
};

// `text` (a command's stderr, or stderr and stdout together) contains one of the table's
// texts for `message`.
bool says(std::string_view text, ToolMessage message);

}  // namespace ilvm

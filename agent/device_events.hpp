// SPDX-License-Identifier: LGPL-2.1-or-later
// Block device events from udev (GUdev, on the agent's main loop): each device-mapper
// device's action with its DM_VG_NAME and DM_LV_NAME (set by lvm2's udev rules). This is how
// the agent sees an LV activated behind its back - `virsh vol-create-as` on the mirror pool
// runs lvcreate, which activates the new LV - within a second instead of the reconcile
// timer's 15 s. Devices without DM_VG_NAME (disks, partitions, non-LVM dm devices) are
// dropped here.
#pragma once

#include <functional>
#include <string>

#include <gudev/gudev.h>

namespace ilvm::agent {

class DeviceEvents {
public:
    using Handler = std::function<void(const std::string &action, const std::string &vg, const std::string &lv)>;

    explicit DeviceEvents(Handler handler);
    ~DeviceEvents();
    DeviceEvents(const DeviceEvents &) = delete;
    DeviceEvents &operator=(const DeviceEvents &) = delete;

private:
    static void on_uevent(GUdevClient *client, const gchar *action, GUdevDevice *device, gpointer self);

    Handler handler_;
    GUdevClient *client_ = nullptr;
    gulong signal_ = 0;
};

}  // namespace ilvm::agent

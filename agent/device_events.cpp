// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/device_events.hpp"

namespace ilvm::agent {

DeviceEvents::DeviceEvents(Handler handler) : handler_(std::move(handler)) {
    const gchar *const subsystems[] = {"block", nullptr};
    client_ = g_udev_client_new(subsystems);
    signal_ = g_signal_connect(client_, "uevent", G_CALLBACK(on_uevent), this);
}

DeviceEvents::~DeviceEvents() {
    if (signal_) g_signal_handler_disconnect(client_, signal_);
    g_object_unref(client_);
}

void DeviceEvents::on_uevent(GUdevClient *, const gchar *action, GUdevDevice *device, gpointer self) {
    const gchar *vg = g_udev_device_get_property(device, "DM_VG_NAME");
    if (!vg || !*vg || !action) return;
    const gchar *lv = g_udev_device_get_property(device, "DM_LV_NAME");
    static_cast<DeviceEvents *>(self)->handler_(action, vg, lv ? lv : "");
}

}  // namespace ilvm::agent

// SPDX-License-Identifier: LGPL-2.1-or-later
// RAII for GLib/GIO handles: a GObject reference (g_object_unref) and a GError (g_error_free).
#pragma once

#include <memory>

#include <glib-object.h>

namespace ilvm {

struct GObjectDeleter {
    void operator()(gpointer p) const {
        if (p) g_object_unref(p);
    }
};
template <typename T> using GObjectPtr = std::unique_ptr<T, GObjectDeleter>;

struct GErrorDeleter {
    void operator()(GError *e) const {
        if (e) g_error_free(e);
    }
};
using GErrorPtr = std::unique_ptr<GError, GErrorDeleter>;

}  // namespace ilvm

// SPDX-License-Identifier: LGPL-2.1-or-later
// The test PKI of tests/data/pki/make-pki.sh (good/ and rogue/, each in libvirt's layout),
// made once per test process in a temporary directory that is removed at exit. Needs openssl.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <glib.h>

namespace ilvm::test {

// The directory holding good/ and rogue/, or nullptr when openssl could not make them.
inline const std::string *test_pki_dir() {
    static const std::string *dir = [] {
        static const std::string made =
            std::filesystem::temp_directory_path() / ("ilvm-pki-" + std::to_string(::getpid()));
        const std::string script = std::string(ILVM_TEST_DATA_DIR) + "/pki/make-pki.sh";
        const gchar *argv[] = {"sh", script.c_str(), made.c_str(), nullptr};
        gint status = 0;
        GError *err = nullptr;
        bool ok = g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                               nullptr, nullptr, &status, &err) &&
                  g_spawn_check_wait_status(status, nullptr);
        if (err) g_error_free(err);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(made, ec);
        });
        return ok ? &made : nullptr;
    }();
    return dir;
}

}  // namespace ilvm::test

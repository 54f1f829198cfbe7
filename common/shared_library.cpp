// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/shared_library.hpp"

#include <dlfcn.h>

namespace ilvm {

Result<SharedLibrary> SharedLibrary::load(const std::string &soname, const std::string &hint) {
    void *handle = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        return system_error("cannot load " + soname + ": " + (why ? why : "unknown error"), hint);
    }
    return SharedLibrary(handle, soname);
}

Result<void *> SharedLibrary::symbol(const char *name) const {
    dlerror();   // clear an earlier error, so the one read below is this lookup's
    void *address = dlsym(handle_, name);
    if (!address)
        return system_error(soname_ + " has no " + name + ": it is older than this program needs",
                            "upgrade the package that provides " + soname_);
    return address;
}

}  // namespace ilvm

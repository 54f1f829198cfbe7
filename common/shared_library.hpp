// SPDX-License-Identifier: LGPL-2.1-or-later
// A shared library loaded at run time by its soname, for a dependency only some commands
// need: libvirt, linked into `ilvm` and the backend module, cost every `ilvm` run and every
// hook call its dynamic linking (issue 16: `ilvm --help` 34 ms, of which ~20 ms libvirt and
// its own libraries). Never closed: such a library starts threads and registers handlers
// that must not outlive its code.
#pragma once

#include <string>

#include "common/result.hpp"

namespace ilvm {

class SharedLibrary {
public:
    // dlopen(soname, RTLD_NOW | RTLD_LOCAL). The error names the library, the loader's
    // reason, and `hint` (the package to install).
    static Result<SharedLibrary> load(const std::string &soname, const std::string &hint);

    // The address of `name`; an error when the library lacks it (an older version).
    Result<void *> symbol(const char *name) const;

    // Sets `fn` to `name`'s address, typed as the caller's declaration of that function says
    // (decltype(&name)), so a wrong signature does not compile.
    template <typename Fn>
    Status resolve(const char *name, Fn &fn) const {
        auto address = symbol(name);
        if (!address.ok()) return address.take_error();
        fn = reinterpret_cast<Fn>(*address);
        return Status::success();
    }

    // A table of functions from `soname`, loaded at the first call and kept for the process
    // with its outcome, success or error (thread-safe). `Table::resolve_from(lib, table)`
    // fills its members, each typed by the library's own declaration.
    template <typename Table>
    static Result<const Table *> table_once(const char *soname, const char *hint) {
        static const Result<Table> table = [&]() -> Result<Table> {
            ILVM_ASSIGN_OR_RETURN(SharedLibrary lib, load(soname, hint));
            Table t;
            ILVM_TRY(Table::resolve_from(lib, t));
            return t;
        }();
        if (!table.ok()) return table.error();
        return &table.value();
    }

private:
    SharedLibrary(void *handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
    void *handle_;
    std::string soname_;
};

}  // namespace ilvm

#include "core/system.hpp"

#include "core/log.hpp"

namespace ilvm {

Result<CommandOutput> run_checked(System &sys, const Command &cmd, std::string_view what) {
    auto r = sys.run(cmd);
    if (!r.ok()) return r;
    if (!r->succeeded()) {
        std::string line = r->first_error_line();
        if (line.empty()) line = "exit status " + std::to_string(r->exit_code);
        return system_error(std::string(what) + ": " + line);
    }
    return r;
}

Status run_status(System &sys, const Command &cmd, std::string_view what) {
    auto r = run_checked(sys, cmd, what);
    if (!r.ok()) return r.take_error();
    return {};
}

}  // namespace ilvm

// SPDX-License-Identifier: LGPL-2.1-or-later
// The host verbs, `ilvm host-setup` and `ilvm host-validate` (host_setup.hpp,
// host_validate.hpp). Unlike the pool verbs they do not go through the backend module:
// they prepare and check the host the module runs on.
#include <cstdlib>

#include "cli/context.hpp"
#include "cli/host_runner.hpp"
#include "cli/hostprep/host_setup.hpp"
#include "cli/hostprep/host_validate.hpp"
#include "common/env.hpp"
#include "ilvm-config.h"

namespace ilvm::cli {
namespace {

// The hook binary to install: the one this build installed, or ILVM_HOOK_BINARY (a build
// tree's shim/50-iscsi-lvm, or a test's stand-in).
std::string hook_source() { return env_or("ILVM_HOOK_BINARY", ILVM_HOOK_PATH); }

}  // namespace

Status host_setup(Context &ctx, const Args &args) {
    auto id = args.opt("host-id");
    if (!id)
        return invalid_input("host-setup needs --host-id N",
                             "N is this host's sanlock host_id: 1..2000, different on every host sharing a LUN");
    HostSetupOptions opt;
    ILVM_ASSIGN_OR_RETURN(opt.host_id, parse_host_id(*id));
    opt.initiator = args.opt("initiator");
    opt.dry_run = args.flag("dry-run");
    opt.hook_source = hook_source();
    opt.hook_dir = ILVM_LIBVIRT_HOOK_DIR;
    // The default now; --fence-on-lease-loss is still accepted, for scripts written when it was opt-in.
    if (args.flag("fence-on-lease-loss") && args.flag("no-fence-on-lease-loss"))
        return invalid_input("--fence-on-lease-loss and --no-fence-on-lease-loss contradict each other",
                             "leave both out for the default (lvmlockctl runs ilvm lease-lost)");
    opt.fence_on_lease_loss = !args.flag("no-fence-on-lease-loss");
    opt.cli_path = ILVM_CLI_PATH;
    HostRunner runner(ctx);
    return host_setup_run(runner.system(), HostRoot::from_environment(), opt, *ctx.out);
}

Status host_validate(Context &ctx, const Args &args) {
    HostRunner runner(ctx);
    return host_validate_run(runner.system(), HostRoot::from_environment(), ILVM_LIBVIRT_HOOK_DIR,
                             args.flag("json"), *ctx.out);
}

}  // namespace ilvm::cli

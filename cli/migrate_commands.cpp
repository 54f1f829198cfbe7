// SPDX-License-Identifier: LGPL-2.1-or-later
// `ilvm migrate` (source) and `ilvm migrate-finish` (destination): the live-migration
// hand-over (docs/migration.md). The decisions are in host::migrate_out.cpp and host::migrate_in.cpp;
// this file wires them to libvirt, the module and the terminal.

#include "cli/context.hpp"
#include "cli/migrate_report.hpp"
#include "common/log.hpp"
#include "common/numbers.hpp"
#include "host/handover/local_handover.hpp"
#include "host/handover/migrate_in.hpp"
#include "host/handover/migrate_out.hpp"

namespace ilvm::cli {
namespace {

Result<std::chrono::milliseconds> timeout_arg(const Args &args, int default_seconds) {
    auto given = args.opt("timeout");
    if (!given) return std::chrono::milliseconds(default_seconds * 1000LL);
    ILVM_ASSIGN_OR_RETURN(uint64_t seconds, parse_number(*given, 1, 86400, "--timeout"));
    return std::chrono::milliseconds(seconds * 1000);
}

}  // namespace

Status migrate(Context &ctx, const Args &args) {
    host::MigrateOutOptions opt;
    opt.domain = args.get("domain");
    opt.request.dest_uri = args.get("desturi");
    opt.request.migrate_uri = args.opt("migrateuri");
    opt.request.persistent = args.flag("persistent");
    opt.request.undefine_source = args.flag("undefinesource");
    ILVM_ASSIGN_OR_RETURN(opt.poll_timeout, timeout_arg(args, 60));
    if (opt.request.dest_uri.empty()) return invalid_input("migrate needs <desturi>, e.g. qemu+tcp://hostb/system");
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    host::LocalHandover local(ctx.libvirt_uri(), *be, ctx.store);
    ILVM_ASSIGN_OR_RETURN(auto report, host::migrate_out(opt, local.env));
    *ctx.out << format_migrate_report(opt, report, args.flag("json"));
    if (auto w = unconfirmed_warning(opt, report); !w.empty()) spdlog::warn("{}", w);
    return {};
}

Status migrate_finish(Context &ctx, const Args &args) {
    host::MigrateInOptions opt;
    opt.domain = args.get("domain");
    ILVM_ASSIGN_OR_RETURN(opt.timeout, timeout_arg(args, 600));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    host::LocalHandover local(ctx.libvirt_uri(), *be, ctx.store);
    ILVM_ASSIGN_OR_RETURN(auto report, host::migrate_in(opt, local.env));
    *ctx.out << host::format_finish_report(opt, report);
    return {};
}

}  // namespace ilvm::cli

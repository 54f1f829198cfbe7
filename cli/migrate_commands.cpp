// `ilvm migrate` (source) and `ilvm migrate-finish` (destination): the live-migration
// hand-over (docs/migration.md). The decisions are in migrate_out.cpp and migrate_in.cpp;
// this file wires them to libvirt, the module and the terminal.
#include <charconv>

#include "context.hpp"
#include "core/log.hpp"
#include "handover_env.hpp"
#include "libvirt_domains.hpp"
#include "migrate_in.hpp"
#include "migrate_out.hpp"
#include "module_control.hpp"

namespace ilvm::cli {
namespace {

Result<std::chrono::milliseconds> timeout_arg(const Args &args, int default_seconds) {
    auto given = args.opt("timeout");
    if (!given) return std::chrono::milliseconds(default_seconds * 1000LL);
    int seconds = 0;
    auto [end, ec] = std::from_chars(given->data(), given->data() + given->size(), seconds);
    if (ec != std::errc() || end != given->data() + given->size() || seconds < 1 || seconds > 86400)
        return invalid_input("--timeout '" + *given + "' is not a number of seconds from 1 to 86400");
    return std::chrono::milliseconds(seconds * 1000LL);
}

// Everything a hand-over verb needs on this host, alive for the verb's duration.
struct LocalHandover {
    std::unique_ptr<Domains> domains;
    std::unique_ptr<VolumeLocks> locks;
    HandoverFiles files;
    SystemClock clock;
    HandoverEnv env;

    LocalHandover(Context &ctx, BackendModule &module)
        : domains(make_libvirt_domains(ctx.libvirt_uri())),
          locks(make_module_volume_locks(module, ctx.store)),
          files(HandoverFiles::for_store(ctx.store)),
          env{*domains, *locks, files, clock, hook::load_pool_bindings(ctx.store)} {}
};

}  // namespace

Status migrate(Context &ctx, const Args &args) {
    MigrateOutOptions opt;
    opt.domain = args.get("domain");
    opt.request.dest_uri = args.get("desturi");
    opt.request.migrate_uri = args.opt("migrateuri");
    opt.request.persistent = args.flag("persistent");
    opt.request.undefine_source = args.flag("undefinesource");
    ILVM_ASSIGN_OR_RETURN(opt.poll_timeout, timeout_arg(args, 60));
    if (opt.request.dest_uri.empty()) return invalid_input("migrate needs <desturi>, e.g. qemu+tcp://hostb/system");
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    LocalHandover local(ctx, *be);
    ILVM_ASSIGN_OR_RETURN(auto report, migrate_out(opt, local.env));
    *ctx.out << format_migrate_report(opt, report, args.flag("json"));
    if (auto w = unconfirmed_warning(opt, report); !w.empty()) spdlog::warn("{}", w);
    return {};
}

Status migrate_finish(Context &ctx, const Args &args) {
    MigrateInOptions opt;
    opt.domain = args.get("domain");
    ILVM_ASSIGN_OR_RETURN(opt.timeout, timeout_arg(args, 600));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    LocalHandover local(ctx, *be);
    ILVM_ASSIGN_OR_RETURN(auto report, migrate_in(opt, local.env));
    *ctx.out << format_finish_report(opt, report);
    return {};
}

}  // namespace ilvm::cli

// SPDX-License-Identifier: LGPL-2.1-or-later
// vol-* verbs. A volume is named by `VOL --pool POOL`, by its key (LV UUID) or by its path /dev/<vg>/<lv>.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "cli/context.hpp"
#include "cli/json_views.hpp"
#include "cli/lookup.hpp"
#include "cli/placement.hpp"
#include "cli/reconcile.hpp"
#include "cli/volume_work.hpp"
#include "cli/ui/output.hpp"
#include "cli/ui/xml_file.hpp"
#include "common/continue_after.hpp"
#include "common/duration.hpp"
#include "common/names.hpp"
#include "common/size.hpp"
#include "host/core/pool_bindings.hpp"
#include "host/core/summaries.hpp"
#include "host/core/volume_holds.hpp"
#include "host/core/volume_lock.hpp"
#include "host/core/volume_owners.hpp"

namespace ilvm::cli {
namespace {

// The longest `vol-activate --hold`: a hold is for a wizard or a maintenance window, not a
// way to pin a volume to a host for good.
constexpr std::chrono::seconds kMaxHold{7 * 86400};

std::string vol_xml(const std::string &name, uint64_t capacity, std::optional<uint64_t> allocation,
                    const std::string &format) {
    // Only called with validated LV names: [A-Za-z0-9+_.-], nothing XML would escape.
    std::string x = "<volume type='block'>\n  <name>" + name + "</name>\n  <capacity unit='bytes'>" +
                    std::to_string(capacity) + "</capacity>\n";
    if (allocation) x += "  <allocation unit='bytes'>" + std::to_string(*allocation) + "</allocation>\n";
    x += "  <target><format type='" + format + "'/></target>\n";
    return x + "</volume>\n";
}

Result<std::string> refresh_vol(Context &ctx, const VolRef &ref, unsigned flags = 0) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    return be->refresh_vol(ref.pool_xml, ref.name, flags);
}

Result<host::VolSummary> created(Context &ctx, const std::string &pool_xml, const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto vol, be->create_vol(pool_xml, xml));
    return host::summarize_vol(vol);
}

Result<uint64_t> size_arg(const Args &args, const char *name) { return parse_size(args.get(name), "b"); }

// What a copying verb says when it is done: `line` (none when empty), or with --json one
// object naming the pool and volume, then `more`.
Status copied(Context &ctx, const Args &args, const std::string &line, const std::string &pool, const std::string &volume,
              JsonObject more) {
    if (args.flag("json")) {
        JsonObject j{{"pool", pool}, {"volume", volume}};
        for (auto &field : more) j.push_back(std::move(field));
        *ctx.out << to_json(j);
    } else if (!line.empty()) {
        *ctx.out << line << "\n";
    }
    return {};
}

}  // namespace

Status vol_create(Context &ctx, const Args &args) {
    const std::string pool = args.get("pool"), file = args.get("file");
    ILVM_ASSIGN_OR_RETURN(std::string xml, read_xml_file(file));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto canonical, be->parse_vol(xml));   // its name, to lock it
    ILVM_ASSIGN_OR_RETURN(auto def, host::summarize_vol(canonical));
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, pool, {def.name}, "vol-create", Owned::refuse));
    ILVM_ASSIGN_OR_RETURN(auto v, created(ctx, work.ref.pool_xml, xml));
    after_volume_change(ctx, pool, work.ref.pool_xml);
    *ctx.out << "Vol " << v.name << " created from " << file << "\n";
    return {};
}

Status vol_create_as(Context &ctx, const Args &args) {
    const std::string pool = args.get("pool"), name = args.get("name");
    ILVM_TRY(validate_lv_name(name));
    ILVM_ASSIGN_OR_RETURN(uint64_t capacity, size_arg(args, "capacity"));
    std::optional<uint64_t> allocation;
    if (args.opt("allocation")) {
        ILVM_ASSIGN_OR_RETURN(allocation, size_arg(args, "allocation"));
    }
    // The module checks the volume XML too; this keeps the argument out of the XML unchecked.
    const std::string format = args.opt("format").value_or("raw");
    if (format != "raw" && format != "qcow2")
        return invalid_input("volume format '" + format + "' is not supported", "iscsi-lvm volumes are raw (the default) or qcow2");
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, pool, {name}, "vol-create-as", Owned::refuse));
    ILVM_ASSIGN_OR_RETURN(auto v, created(ctx, work.ref.pool_xml, vol_xml(name, capacity, allocation, format)));
    after_volume_change(ctx, pool, work.ref.pool_xml);
    *ctx.out << "Vol " << v.name << " created\n";
    return {};
}

Status vol_create_from(Context &ctx, const Args &args) {
    const std::string pool = args.get("pool"), file = args.get("file"), source = args.get("vol");
    ILVM_TRY(validate_lv_name(source));
    ILVM_ASSIGN_OR_RETURN(std::string xml, read_xml_file(file));
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto canonical, be->parse_vol(xml));
    ILVM_ASSIGN_OR_RETURN(auto def, host::summarize_vol(canonical));
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, pool, {def.name, source}, "vol-create-from", Owned::refuse));
    const bool linked = args.flag("linked");
    if (ctx.progress && !linked) {
        ILVM_ASSIGN_OR_RETURN(auto src, refresh_vol(ctx, VolRef{work.ref.pool, work.ref.pool_xml, source}));
        ILVM_ASSIGN_OR_RETURN(auto s, host::summarize_vol(src));
        ctx.progress->describe(def.name, s.allocation);
    }
    ILVM_ASSIGN_OR_RETURN(auto vol, be->build_vol_from(work.ref.pool_xml, xml, source, linked ? ILVM_BUILD_FROM_LINKED : 0u));
    ILVM_ASSIGN_OR_RETURN(auto v, host::summarize_vol(vol));
    after_volume_change(ctx, pool, work.ref.pool_xml);
    if (linked)
        return copied(ctx, args, "Vol " + v.name + " created as a linked clone of template " + source, pool, v.name,
                      {{"source", source}, {"linked", true}});
    return copied(ctx, args, "Vol " + v.name + " created from input vol " + source, pool, v.name, {{"source", source}});
}

Status vol_clone(Context &ctx, const Args &args) {
    const std::string newname = args.get("newname");
    ILVM_TRY(validate_lv_name(newname));
    ILVM_ASSIGN_OR_RETURN(auto pv, volume_arg(ctx, args));
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, pv.first, {pv.second, newname}, "vol-clone", Owned::refuse));
    const VolRef &ref = work.ref;
    ILVM_ASSIGN_OR_RETURN(auto src, refresh_vol(ctx, ref));
    ILVM_ASSIGN_OR_RETURN(auto s, host::summarize_vol(src));
    const bool linked = args.flag("linked");
    // A linked clone is a qcow2 overlay whatever its template's format.
    const std::string xml = vol_xml(newname, s.capacity, std::nullopt, linked ? "qcow2" : s.format);
    if (ctx.progress && !linked) ctx.progress->describe(newname, s.allocation);
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_TRY(be->build_vol_from(ref.pool_xml, xml, ref.name, linked ? ILVM_BUILD_FROM_LINKED : 0u));
    after_volume_change(ctx, ref.pool, ref.pool_xml);
    if (linked)
        return copied(ctx, args, "Vol " + newname + " created as a linked clone of template " + ref.name, ref.pool,
                      newname, {{"source", ref.name}, {"linked", true}});
    return copied(ctx, args, "Vol " + newname + " cloned from " + ref.name, ref.pool, newname, {{"source", ref.name}});
}

Status vol_delete(Context &ctx, const Args &args) {
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, "vol-delete"));
    const VolRef &ref = work.ref;
    unsigned flags = (args.flag("wipe") ? ILVM_DELETE_VOL_WIPE : 0u) | (args.flag("no-wipe") ? ILVM_DELETE_VOL_NO_WIPE : 0u) |
                     (args.flag("snapshots") ? ILVM_DELETE_VOL_SNAPSHOTS : 0u);
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_TRY(be->delete_vol(ref.pool_xml, ref.name, flags));
    after_volume_change(ctx, ref.pool, ref.pool_xml);
    *ctx.out << "Vol " << ref.name << " deleted\n";
    return {};
}

Status vol_wipe(Context &ctx, const Args &args) {
    if (auto alg = args.opt("algorithm"); alg && *alg != "zero")
        return invalid_input("wipe algorithm '" + *alg + "' is not supported", "only 'zero' is");
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, "vol-wipe"));
    const VolRef &ref = work.ref;
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_TRY(be->wipe_vol(ref.pool_xml, ref.name, 0));
    *ctx.out << "Vol " << ref.name << " wiped\n";
    return {};
}

Status vol_resize(Context &ctx, const Args &args) {
    ILVM_ASSIGN_OR_RETURN(uint64_t capacity, size_arg(args, "capacity"));
    // Growing a running domain's disk is an online operation (then virsh blockresize);
    // shrinking one never is (the backend refuses an open volume too).
    const bool shrink = args.flag("allow-shrink") || args.flag("shrink");
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, "vol-resize", shrink ? Owned::refuse : Owned::allow));
    const VolRef &ref = work.ref;
    if (args.flag("delta")) {
        ILVM_ASSIGN_OR_RETURN(auto cur, refresh_vol(ctx, ref));
        ILVM_ASSIGN_OR_RETURN(auto s, host::summarize_vol(cur));
        // virsh: --delta grows by CAPACITY, or shrinks by it together with --shrink.
        if (args.flag("shrink") || args.flag("allow-shrink")) {
            if (capacity >= s.capacity) return invalid_input("cannot shrink volume '" + ref.name + "' by its whole size or more");
            capacity = s.capacity - capacity;
        } else {
            if (capacity > UINT64_MAX - s.capacity) return invalid_input("resulting size is too large");
            capacity += s.capacity;
        }
    }
    unsigned flags = (args.flag("allow-shrink") || args.flag("shrink")) ? ILVM_RESIZE_ALLOW_SHRINK : 0u;
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_ASSIGN_OR_RETURN(auto resized, be->resize_vol(ref.pool_xml, ref.name, capacity, flags));
    ILVM_ASSIGN_OR_RETURN(auto v, host::summarize_vol(resized));
    after_volume_change(ctx, ref.pool, ref.pool_xml);
    *ctx.out << "Size of volume '" << ref.name << "' successfully changed to " << human_size(v.capacity) << "\n";
    return {};
}

Status vol_list(Context &ctx, const Args &args) {
    const std::string pool = args.get("pool");
    if (int(args.flag("json")) + int(args.flag("details")) + int(args.flag("name")) > 1)
        return invalid_input("--json, --details and --name are mutually exclusive", "give one of them");
    ILVM_ASSIGN_OR_RETURN(std::string pool_xml, ctx.active_pool_xml(pool));
    if (args.flag("json")) {
        // The holder of a volume inactive here, as pool-info reports it (refresh_pool's lvs
        // cannot name it: "holder": null for a volume host 2 holds), from pool-info's one
        // inspection: the same commands at any number of volumes.
        ILVM_ASSIGN_OR_RETURN(auto placed, placed_volumes(ctx, pool_xml));
        JsonArray arr;
        for (const auto &v : placed.volumes) arr.push_back(placed_json_value(v));
        *ctx.out << to_json(arr);
        return {};
    }
    ILVM_ASSIGN_OR_RETURN(auto vols, listed_volumes(ctx, pool_xml));
    if (args.flag("name")) {
        for (const auto &v : vols) *ctx.out << v.name << "\n";
        return {};
    }
    std::vector<std::vector<std::string>> rows;
    if (args.flag("details")) {
        // virsh's columns; ours (activation, flags) are in the default table and --json.
        for (const auto &v : vols) rows.push_back({v.name, v.path, "block", human_size(v.capacity), human_size(v.allocation)});
        *ctx.out << format_table({"Name", "Path", "Type", "Capacity", "Allocation"}, rows);
        return {};
    }
    for (const auto &v : vols)
        rows.push_back({v.name, v.path, human_size(v.capacity),
                        v.activation + (v.open ? " (open)" : "") + (v.incomplete ? " INCOMPLETE" : ""),
                        v.skip ? "yes" : "NO", v.autoactivation ? "ON" : "off"});
    *ctx.out << format_table({"Name", "Path", "Capacity", "Activation", "Skip flag", "Autoactivation"}, rows);
    return {};
}

Status vol_info(Context &ctx, const Args &args) {
    ILVM_ASSIGN_OR_RETURN(auto ref, resolve(ctx, args));
    ILVM_ASSIGN_OR_RETURN(auto vol, refresh_vol(ctx, ref, ILVM_REFRESH_VOL_FIND_HOLDER));
    ILVM_ASSIGN_OR_RETURN(auto v, host::summarize_vol(vol));
    if (args.flag("json")) {
        auto j = to_json_value(v);
        std::get<JsonObject>(j.v).emplace_back("pool", ref.pool);
        std::get<JsonObject>(j.v).emplace_back("backing", text_or_null(v.backing));
        std::get<JsonObject>(j.v).emplace_back("template", v.read_only);
        *ctx.out << to_json(j);
        return {};
    }
    std::vector<std::pair<std::string, std::string>> fields{
        {"Name", v.name},
        {"Type", "block"},
        {"Format", v.format},
        {"Capacity", size_text(v.capacity, args.flag("bytes"), "bytes")},
        {"Allocation", size_text(v.allocation, args.flag("bytes"), "bytes")},
        {"Path", v.path},
        {"Key", v.key},
        {"Activation", host::describe_activation(v)},
        {"Activation skip", v.skip ? "yes" : "no"},
        {"Autoactivation", v.autoactivation ? "yes" : "no"},
        {"Content", v.incomplete ? "INCOMPLETE: being created or copied, or that was interrupted "
                                   "(ilvm reconcile --remove-incomplete removes an interrupted one)"
                                 : "complete"}};
    // A linked clone's template (or a snapshot chain's layer); a template's read-only state.
    if (!v.backing.empty()) fields.emplace_back("Backing", v.backing);
    if (v.read_only) fields.emplace_back("Template", "yes: read-only for good, read by linked clones");
    *ctx.out << format_fields(fields);
    return {};
}

Status vol_dumpxml(Context &ctx, const Args &args) {
    ILVM_ASSIGN_OR_RETURN(auto ref, resolve(ctx, args));
    ILVM_ASSIGN_OR_RETURN(auto vol, refresh_vol(ctx, ref));
    *ctx.out << vol;
    return {};
}

Status vol_path(Context &ctx, const Args &args) {
    ILVM_ASSIGN_OR_RETURN(auto ref, resolve(ctx, args));
    ILVM_ASSIGN_OR_RETURN(auto vol, refresh_vol(ctx, ref));
    ILVM_ASSIGN_OR_RETURN(auto v, host::summarize_vol(vol));
    *ctx.out << v.path << "\n";
    return {};
}

namespace {

// The file vol-download writes, made here before dd runs (the module runs dd, by path: a
// descriptor cannot be handed to it). New: O_CREAT|O_EXCL|O_NOFOLLOW, then fchmod 0600 (the
// umask does not decide; a volume's bytes are nobody else's business). --overwrite: an
// existing regular file opened O_NOFOLLOW and truncated, keeping its mode. dd then opens it
// again with oflag=nofollow and conv=notrunc,nocreat (plugin/src/backend/volume_ops.cpp): a
// symlink put in its place meanwhile is refused, a file removed meanwhile is not re-created
// with dd's 0666 & ~umask, and nothing is truncated twice. What remains open in a directory
// others can write to (a sticky /tmp forbids it) is a rename of our file and a new file in
// its place: dd then writes into that other file, never through a link. The file is removed
// again when the download fails, if we created it.
class DownloadFile {
public:
    static Result<DownloadFile> open(const std::string &path, bool overwrite) {
        const int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;   // NONBLOCK: a FIFO must not hang us
        int fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL, 0600);
        const bool created = fd >= 0;
        if (!created && errno == EEXIST && overwrite) fd = ::open(path.c_str(), flags);
        if (fd < 0) {
            const int e = errno;
            struct stat st {};
            if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
                return conflict(path + " is a symbolic link: vol-download does not write through one",
                                "give the path of the file itself");
            if (e == EEXIST) return conflict(path + " already exists", "give --overwrite to replace it, or another file name");
            if (e == ENOENT) return not_found("cannot create " + path + ": " + std::strerror(e));
            return system_error("cannot create " + path + ": " + std::strerror(e));
        }
        DownloadFile file(path, fd, created);
        struct stat st {};
        if (::fstat(fd, &st) != 0) return system_error("cannot stat " + path + ": " + std::strerror(errno));
        if (!S_ISREG(st.st_mode)) return conflict(path + " is not a regular file", "give a file name");
        if (created && ::fchmod(fd, 0600) != 0) return system_error("cannot set the mode of " + path + ": " + std::strerror(errno));
        if (!created && ::ftruncate(fd, 0) != 0) return system_error("cannot truncate " + path + ": " + std::strerror(errno));
        return file;
    }
    DownloadFile(DownloadFile &&o) noexcept : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)), created_(std::exchange(o.created_, false)), kept_(o.kept_) {}
    DownloadFile &operator=(DownloadFile &&) = delete;
    ~DownloadFile() {
        if (fd_ >= 0) ::close(fd_);
        if (created_ && !kept_) ::unlink(path_.c_str());
    }
    void keep() { kept_ = true; }

private:
    DownloadFile(std::string path, int fd, bool created) : path_(std::move(path)), fd_(fd), created_(created) {}
    std::string path_;
    int fd_;
    bool created_;
    bool kept_ = false;
};

Status transfer(Context &ctx, const Args &args, bool upload) {
    const std::string file = args.get("file");
    if (file.empty()) return invalid_input("no file given");
    uint64_t offset = 0, length = 0;
    if (args.opt("offset")) {
        ILVM_ASSIGN_OR_RETURN(offset, size_arg(args, "offset"));
    }
    if (args.opt("length")) {
        ILVM_ASSIGN_OR_RETURN(length, size_arg(args, "length"));
    }
    if (upload) {
        std::ifstream probe(file);
        if (!probe) return not_found("cannot read file '" + file + "'");
    }
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, upload ? "vol-upload" : "vol-download"));
    const VolRef &ref = work.ref;
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    if (ctx.progress) {
        // What dd will copy: --length, else the rest of the file (upload) or of the LV (download).
        uint64_t total = length;
        if (!total && upload) {
            struct stat st {};
            if (::stat(file.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > offset) total = static_cast<uint64_t>(st.st_size);
        } else if (!total) {
            ILVM_ASSIGN_OR_RETURN(auto cur, refresh_vol(ctx, ref));
            ILVM_ASSIGN_OR_RETURN(auto s, host::summarize_vol(cur));
            total = s.allocation > offset ? s.allocation - offset : 0;
        }
        ctx.progress->describe(ref.name, total);
    }
    if (upload) {
        // The length of a regular file, when none was given: a known range is what the backend
        // can give back before the copy, so that the file's zeros stay unallocated (issue 16).
        uint64_t copy_length = length;
        struct stat st {};
        if (!copy_length && ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) copy_length = static_cast<uint64_t>(st.st_size);
        ILVM_TRY(be->upload_vol(ref.pool_xml, ref.name, file, offset, copy_length));
    } else {
        ILVM_ASSIGN_OR_RETURN(auto dst, DownloadFile::open(file, args.flag("overwrite")));
        ILVM_TRY(be->download_vol(ref.pool_xml, ref.name, file, offset, length));
        dst.keep();
    }
    // virsh prints nothing here; --json says what was copied.
    return copied(ctx, args, "", ref.pool, ref.name,
                  {{"file", file}, {"offset", offset}, {"length", length ? JsonValue(length) : JsonValue()}});
}

}  // namespace

Status vol_upload(Context &ctx, const Args &args) { return transfer(ctx, args, true); }
Status vol_download(Context &ctx, const Args &args) { return transfer(ctx, args, false); }

Status vol_activate(Context &ctx, const Args &args) {
    std::optional<std::chrono::seconds> hold;
    if (auto h = args.opt("hold")) {
        ILVM_ASSIGN_OR_RETURN(auto d, parse_duration(*h, std::chrono::seconds(1), kMaxHold, "--hold"));
        hold = d;
    }
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, "vol-activate"));
    const VolRef &ref = work.ref;
    const bool shared = args.flag("shared");
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_TRY(be->activate_vol(ref.pool_xml, ref.name, shared ? ILVM_ACTIVATE_SHARED : 0u));
    *ctx.out << "Vol " << ref.name << " activated " << (shared ? "shared" : "exclusively") << " on this host";
    if (hold) {
        ILVM_TRY(host::hold_volume(ctx.store, {ref.pool, ref.name}, unix_seconds(std::chrono::system_clock::now() + *hold)));
        *ctx.out << ", held for " << hold->count() << " s (ilvm vol-deactivate " << ref.name << " ends the hold)";
    }
    *ctx.out << "\n";
    // The mirror lists volumes active here: refreshed so that virsh and virt-install see it now.
    after_volume_change(ctx, ref.pool, ref.pool_xml);
    return {};
}

Status vol_deactivate(Context &ctx, const Args &args) {
    ILVM_ASSIGN_OR_RETURN(auto work, begin_work(ctx, args, "vol-deactivate"));
    const VolRef &ref = work.ref;
    ILVM_ASSIGN_OR_RETURN(auto *be, ctx.backend());
    ILVM_TRY(be->deactivate_vol(ref.pool_xml, ref.name));
    continue_after(host::release_hold(ctx.store, {ref.pool, ref.name}),
                   "the volume is deactivated; the reconciler removes the hold when it ends");
    *ctx.out << "Vol " << ref.name << " deactivated\n";
    after_volume_change(ctx, ref.pool, ref.pool_xml);
    return {};
}

}  // namespace ilvm::cli

// SPDX-License-Identifier: LGPL-2.1-or-later
// Fakes for the live-migration hand-over's interfaces (cli/domains.hpp, volume_locks.hpp,
// clock.hpp): scripted domain states and lock outcomes on a fake clock, with a log of calls,
// plus a private $ILVM_RUN_DIR for the real HandoverFiles.
#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <fcntl.h>
#include <sys/stat.h>
#include <vector>

#include "common/clock.hpp"
#include "host/core/handover_files.hpp"
#include "host/core/volume_locks.hpp"
#include "host/handover/handover_env.hpp"
#include "host/libvirt/domains.hpp"

namespace ilvm::test {

class FakeClock final : public Clock {
public:
    std::chrono::steady_clock::time_point t{std::chrono::seconds(1000)};
    std::chrono::system_clock::time_point wall{std::chrono::seconds(1'700'000'000)};
    std::vector<int64_t> sleeps;   // ms

    std::chrono::steady_clock::time_point now() override { return t; }
    std::chrono::system_clock::time_point wall_now() override { return wall; }
    void sleep_for(std::chrono::milliseconds d) override {
        sleeps.push_back(d.count());
        advance(d);
    }
    void advance(std::chrono::milliseconds d) {
        t += d;
        wall += d;
    }
    int64_t elapsed_ms(std::chrono::steady_clock::time_point since) const { return millis_between(since, t); }
};

class FakeDomains final : public host::Domains {
public:
    explicit FakeDomains(FakeClock &clock) : clock_(clock) {}

    // Per domain, the states state() answers in turn; the last one repeats. Unknown: absent.
    std::map<std::string, std::deque<host::DomainRun>> states;
    std::map<std::string, std::string> xml;
    Status destination = {};                 // open_destination's answer
    Status migration = {};                   // migrate's answer
    std::function<void()> during_migration;  // what libvirt and the other host do meanwhile
    std::chrono::milliseconds migration_takes{3000};
    int state_failures = 0;                  // state() fails this often first (libvirtd restarting)
    std::vector<std::string> calls;

    Result<host::DomainRun> state(const std::string &name) override {
        calls.push_back("state " + name);
        if (state_failures > 0) {
            --state_failures;
            return system_error("internal error: client socket is closed");
        }
        auto it = states.find(name);
        if (it == states.end() || it->second.empty()) return host::DomainRun::absent;
        host::DomainRun r = it->second.front();
        if (it->second.size() > 1) it->second.pop_front();
        return r;
    }
    Result<std::string> live_xml(const std::string &name) override {
        calls.push_back("xml " + name);
        auto it = xml.find(name);
        if (it == xml.end()) return not_found("no domain " + name);
        return it->second;
    }
    Status open_destination(const std::string &uri) override {
        calls.push_back("open " + uri);
        return destination;
    }
    Status migrate(const std::string &name, const host::MigrateRequest &req) override {
        std::string c = "migrate " + name + " " + req.dest_uri;
        if (req.migrate_uri) c += " uri=" + *req.migrate_uri;
        if (req.persistent) c += " persistent";
        if (req.undefine_source) c += " undefinesource";
        calls.push_back(c);
        clock_.advance(migration_takes);
        if (during_migration) during_migration();
        return migration;
    }

    // snapshot_disks: each call's XML, in order, and the answer (libvirt's refusal, say).
    std::vector<std::string> snapshot_xmls;
    Status snapshot_answer = {};
    Status snapshot_disks(const std::string &name, const std::string &snapshot_xml) override {
        calls.push_back("snapshot " + name);
        snapshot_xmls.push_back(snapshot_xml);
        return snapshot_answer;
    }

    // Per domain, the jobs job() answers in turn; the last one repeats. Unknown domain: not_found.
    std::map<std::string, std::deque<host::DomainJob>> jobs;
    int job_failures = 0;   // job() fails this often first (libvirtd restarting)
    Result<host::DomainJob> job(const std::string &name) override {
        calls.push_back("job " + name);
        clock_.advance(std::chrono::milliseconds(10));
        if (job_failures > 0) {
            --job_failures;
            return system_error("internal error: client socket is closed");
        }
        auto it = jobs.find(name);
        if (it == jobs.end() || it->second.empty()) {
            if (states.count(name)) return host::DomainJob::none;
            return not_found("no domain " + name);
        }
        host::DomainJob j = it->second.front();
        if (it->second.size() > 1) it->second.pop_front();
        return j;
    }

private:
    FakeClock &clock_;
};

// A volume as refresh_vol reports it.
struct FakeVol {
    std::string activation = "exclusive";   // here: inactive | exclusive | shared
    uint32_t holder_id = 0;                 // another host's lease, when inactive here
    std::string holder_name;
    std::string holder_mode;

    static FakeVol here(std::string activation) { return {std::move(activation), 0, {}, {}}; }
    static FakeVol held(uint32_t id, std::string name, std::string mode) { return {"inactive", id, std::move(name), std::move(mode)}; }
};

class FakeVolumeLocks final : public host::VolumeLocks {
public:
    explicit FakeVolumeLocks(FakeClock &clock) : clock_(clock) {}

    std::map<host::VolumeRef, FakeVol> vols;
    // Per volume, states that successive inspect() calls see first (then the state stays).
    std::map<host::VolumeRef, std::deque<FakeVol>> upcoming;
    // Per volume and target mode ("shared"/"exclusive"): errors the next activations
    // return, in turn; none left: the activation succeeds.
    std::map<std::pair<host::VolumeRef, std::string>, std::deque<Error>> failures;
    std::chrono::milliseconds activate_takes{600}, inspect_takes{100};   // lab: ex->sh 0.6 s
    std::vector<std::string> calls;   // "share san/vm1", "exclusive san/vm1", "inspect san/vm1"

    Result<host::VolSummary> inspect(const host::VolumeRef &v, host::InspectOptions how) override {
        const bool find_holder = how.find_holder;
        calls.push_back(std::string(how.polling ? "poll" : "inspect") + (find_holder ? "+holder " : " ") + v.display());
        clock_.advance(inspect_takes);
        if (auto it = upcoming.find(v); it != upcoming.end() && !it->second.empty()) {
            vols[v] = it->second.front();
            it->second.pop_front();
        }
        auto it = vols.find(v);
        if (it == vols.end()) return not_found("no volume " + v.display());
        host::VolSummary s;
        s.name = v.volume;
        s.activation = it->second.activation;
        if (find_holder && it->second.activation == "inactive" && it->second.holder_id) {
            s.has_holder = true;
            s.holder_id = it->second.holder_id;
            s.holder_name = it->second.holder_name;
            s.holder_mode = it->second.holder_mode;
        }
        return s;
    }

    Status activate(const host::VolumeRef &v, bool shared) override {
        calls.push_back((shared ? "share " : "exclusive ") + v.display());
        return set(v, shared ? "shared" : "exclusive");
    }

    Status poll_exclusive(const host::VolumeRef &v) override {
        calls.push_back("poll-exclusive " + v.display());
        return set(v, "exclusive");
    }

    Status set(const host::VolumeRef &v, const std::string &mode) {
        clock_.advance(activate_takes);
        auto &f = failures[{v, mode}];
        if (!f.empty()) {
            Error e = f.front();
            f.pop_front();
            return e;
        }
        vols[v].activation = mode;
        return {};
    }

    size_t count(const std::string &call) const {
        size_t n = 0;
        for (const auto &c : calls) n += c == call;
        return n;
    }

private:
    FakeClock &clock_;
};

inline Error lock_conflict(const std::string &vol) {
    return conflict("cannot convert the lock of volume '" + vol + "' of pool san: it is active on host 2 (hostb)");
}

// A private $ILVM_RUN_DIR, removed at the end.
class TempRunDir {
public:
    TempRunDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "ilvm-handover-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~TempRunDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }

    // What the destination's hook does at `migrate begin`, with a chosen mtime.
    void write_marker(const host::HandoverFiles &files, const std::string &domain, std::chrono::system_clock::time_point mtime) {
        std::filesystem::create_directories(files.dir());
        const std::string p = files.marker_path(domain);
        FILE *f = std::fopen(p.c_str(), "w");
        std::fputs("incoming live migration accepted by the qemu hook\n", f);
        std::fclose(f);
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
        struct timespec ts[2];
        ts[0].tv_sec = ts[1].tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        ts[0].tv_nsec = ts[1].tv_nsec = static_cast<long>(ns % 1'000'000'000);
        ::utimensat(AT_FDCWD, p.c_str(), ts, 0);
    }

private:
    std::string path_;
};

inline bool exists(const std::string &path) { return std::filesystem::exists(path); }

// The fakes wired into one HandoverEnv over a private run dir (pool san on vg_san): what
// both the source's and the destination's state machines run on in the tests.
struct HandoverWorld {
    FakeClock clock;
    FakeDomains domains{clock};
    FakeVolumeLocks locks{clock};
    TempRunDir run;
    host::HandoverFiles files{run.path()};
    host::HandoverEnv env{domains, locks, files, clock, {{"san", "vg_san"}}};
};

}  // namespace ilvm::test

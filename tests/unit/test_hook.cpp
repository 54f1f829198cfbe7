// SPDX-License-Identifier: LGPL-2.1-or-later
// The qemu hook: XML-to-volume mapping and op dispatch, driven through the real Backend
// with the fake runner so the exact lvchange commands are asserted.
#include <filesystem>
#include <map>
#include <fstream>
#include <set>
#include <variant>
#include <sstream>

#include "backend_fixture.hpp"
#include "fake_handover.hpp"
#include "host/core/domain_disks.hpp"
#include "host/core/volume_lock.hpp"
#include "host/core/volume_owners.hpp"
#include "shim/hook.hpp"

namespace ilvm::test {
namespace {

using host::DiskRef;
using hook::Invocation;

const std::vector<host::PoolBinding> kPools{{"san", "vg_san"}, {"lab", "vg-lab"}};

const char *kDomain = R"(<domain type='kvm'>
  <name>web1</name>
  <devices>
    <disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk>
    <disk type='block' device='disk'><source dev='/dev/mapper/vg--lab-data--1'/><target dev='vdb'/><readonly/></disk>
    <disk type='volume' device='disk'><source pool='san' volume='vm3'/><target dev='vdc'/><shareable/></disk>
    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/x.qcow2'/><target dev='vdd'/></disk>
    <disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vde'/></disk>
    <disk type='volume' device='disk'><source pool='default' volume='y'/><target dev='vdf'/></disk>
    <disk type='block' device='cdrom'><target dev='sda'/><readonly/></disk>
  </devices>
</domain>)";

const char *kOneDisk = R"(<domain type='kvm'><name>web1</name><devices>
    <disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/></disk>
    <disk type='volume' device='disk'><source pool='san' volume='vm9'/><target dev='vdb'/></disk>
</devices></domain>)";

TEST(HookMapping, FindsBlockAndVolumeDisksOfOurPools) {
    auto disks = host::domain_disks(kDomain, kPools);
    ASSERT_TRUE(disks.ok()) << disks.error().message;
    std::vector<DiskRef> expected{
        {"vda", "/dev/vg_san/vm1", "san", "vm1", false},
        {"vdb", "/dev/mapper/vg--lab-data--1", "lab", "data-1", true},
        {"vdc", "san/vm3", "san", "vm3", true},
    };
    EXPECT_EQ(*disks, expected);
}

TEST(HookMapping, ReadsLibvirtStatusFiles) {
    std::string status = std::string("<domstatus state='running' pid='42'>") + kOneDisk + "</domstatus>";
    auto disks = host::domain_disks(status, kPools);
    ASSERT_TRUE(disks.ok());
    EXPECT_EQ(disks->size(), 2u);
}

TEST(HookMapping, RefusesMalformedAndHostileInput) {
    EXPECT_FALSE(host::domain_disks("<domain><devices>", kPools).ok());
    EXPECT_FALSE(host::domain_disks("", kPools).ok());
    EXPECT_FALSE(host::domain_disks("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>", kPools).ok());
    auto bad = host::domain_disks(
        "<domain><name>d</name><devices><disk type='block'><source dev='/dev/vg_san/lvmlock'/><target dev='vda'/></disk></devices></domain>",
        kPools);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("disk vda"), std::string::npos);
}

// A host's devices as the disk matching sees them: vm1 of vg_san is active as dm-3 (253:3),
// a partition mapping sits on it, a file system on it is mounted somewhere.
class FakeBlockDevices final : public host::BlockDevices {
public:
    std::map<std::string, host::PathLookup> paths;
    std::set<std::string> unreadable;
    Result<host::PathLookup> lookup(const std::string &path) const override {
        if (unreadable.count(path)) return system_error("cannot look at " + path + ": Permission denied");
        auto it = paths.find(path);
        return it == paths.end() ? host::PathLookup{} : it->second;
    }
    std::string dm_name(host::DevNum d) const override { return d.minor == 3 ? "vg_san-vm1" : d.minor == 7 ? "vg_san-vm1p1" : ""; }
    std::string dm_uuid(host::DevNum d) const override {
        return d.minor == 3 ? "LVM-Xg3K5o0v8Q9wZ1c2B3n4M5a6S7d8F9g07xoDtuyvNMiwQxC94tBbYsUzBlo8hAIa"
               : d.minor == 7 ? "part1-LVM-Xg3K5o0v8Q9wZ1c2B3n4M5a6S7d8F9g07xoDtuyvNMiwQxC94tBbYsUzBlo8hAIa"
                              : "";
    }
    std::vector<host::DevNum> slaves(host::DevNum d) const override {
        if (d.minor == 7) return {{253, 3}};
        if (d.minor == 3) return {{8, 16}};   // the pool's LUN: a PV, never a volume
        return {};
    }
};

std::string one_disk(const std::string &type, const std::string &attr, const std::string &path) {
    return "<domain><name>d</name><devices><disk type='" + type + "'><source " + attr + "='" + path +
           "'/><target dev='vda'/></disk></devices></domain>";
}

TEST(HookMapping, DisksAreMatchedByDeviceNotByText) {
    FakeBlockDevices active;   // vm1 active here
    const host::PathLookup dm3{host::PathLookup::Kind::block_device, {253, 3}};
    for (const char *p : {"/dev/dm-3", "/dev/disk/by-id/dm-name-vg_san-vm1", "/dev/vg_san//vm1", "/dev/vg_san/vm1"})
        active.paths[p] = dm3;
    active.paths["/dev/mapper/vg_san-vm1p1"] = {host::PathLookup::Kind::block_device, {253, 7}};
    active.paths["/srv/on-vm1/disk.img"] = {host::PathLookup::Kind::on_device, {253, 3}};
    active.paths["/var/lib/images/other.img"] = {host::PathLookup::Kind::on_device, {254, 1}};
    FakeBlockDevices inactive;  // no device node: matched by the path's text
    struct Case {
        const FakeBlockDevices &devices;
        std::string type, attr, path;
        bool ours;
    };
    const std::vector<Case> cases{
        {active, "block", "dev", "/dev/dm-3", true},
        {active, "block", "dev", "/dev/disk/by-id/dm-name-vg_san-vm1", true},
        {active, "block", "dev", "/dev/vg_san//vm1", true},
        {active, "block", "dev", "/dev/mapper/vg_san-vm1p1", true},   // stacked on vm1
        {active, "file", "file", "/dev/vg_san/vm1", true},            // type='file' on the LV
        {active, "file", "file", "/srv/on-vm1/disk.img", true},       // a file on vm1's file system
        {active, "file", "file", "/var/lib/images/other.img", false},
        {inactive, "block", "dev", "/dev//vg_san/vm1", true},
        {inactive, "block", "dev", "/dev/vg_san//vm1", true},
        {inactive, "block", "dev", "/dev/./vg_san/vm1", true},
        {inactive, "block", "dev", "/dev/vg_san/../vg_san/vm1", true},
        {inactive, "block", "dev", "/dev/disk/by-id/dm-name-vg_san-vm1", true},
        {inactive, "file", "file", "/dev/vg_san/vm1", true},
        {inactive, "block", "dev", "/dev/sdz", false},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.type + " " + c.path);
        auto disks = host::domain_disks(one_disk(c.type, c.attr, c.path), kPools, c.devices);
        ASSERT_TRUE(disks.ok()) << disks.error().message;
        if (!c.ours) {
            EXPECT_TRUE(disks->empty());
            continue;
        }
        ASSERT_EQ(disks->size(), 1u);
        EXPECT_EQ(disks->front().pool, "san");
        EXPECT_EQ(disks->front().volume, "vm1");
    }
}

TEST(HookMapping, TheLockLvIsRefusedHoweverItIsWritten) {
    FakeBlockDevices inactive;
    for (const char *p : {"/dev/mapper/vg_san-lvmlock", "/dev//mapper/vg_san-lvmlock", "/dev/vg_san/lvmlock"}) {
        SCOPED_TRACE(p);
        auto disks = host::domain_disks(one_disk("block", "dev", p), kPools, inactive);
        ASSERT_FALSE(disks.ok());
        EXPECT_NE(disks.error().message.find("disk vda"), std::string::npos);
    }
}

TEST(HookMapping, APathThatCannotBeLookedAtIsAnError) {
    FakeBlockDevices devices;
    devices.unreadable.insert("/srv/private/disk.img");
    auto disks = host::domain_disks(one_disk("file", "file", "/srv/private/disk.img"), kPools, devices);
    ASSERT_FALSE(disks.ok());
    EXPECT_NE(disks.error().message.find("Permission denied"), std::string::npos);
}

// VolumeControl over an in-process Backend (the hook binary uses the module instead).
class BackendControl final : public hook::VolumeControl {
public:
    BackendControl(Backend &be, PoolDef pool) : be_(be), pool_(std::move(pool)) {}
    std::set<std::string> started{"san"};
    bool pool_started(const std::string &p) override { return started.count(p) != 0; }
    Result<bool> active_here(const std::string &, const std::string &v) override {
        ILVM_ASSIGN_OR_RETURN(auto info, be_.refresh_vol(pool_, v));
        return info.status.activation != ActivationState::inactive;
    }
    Result<Activated> activate(const std::string &, const std::string &v, bool shared) override {
        // reuse_report: as the hook's ModuleControl asks the module (ILVM_REUSE_LVS_REPORT).
        ILVM_ASSIGN_OR_RETURN(auto before, be_.activate_vol(pool_, v,
                                                            shared ? lvm::ActivationMode::shared : lvm::ActivationMode::exclusive,
                                                            /*reuse_report=*/true));
        return Activated{before.status.activation == ActivationState::inactive, vol_format_name(before.def.format)};
    }
    Status deactivate(const std::string &, const std::string &v) override {
        ILVM_TRY(be_.deactivate_vol(pool_, v, /*reuse_report=*/true));  // as ModuleControl
        return {};
    }

private:
    Backend &be_;
    PoolDef pool_;
};

// Markers in memory; records which finishers were started.
class FakeHandover final : public hook::Handover {
public:
    std::set<std::string> markers;
    std::vector<std::string> finishers;
    bool fail_mark = false, fail_finisher = false;
    bool incoming(const std::string &d) override { return markers.count(d) != 0; }
    Status mark_incoming(const std::string &d) override {
        if (fail_mark) return system_error("cannot write /run/iscsi-lvm/migrate/" + d + ".incoming");
        markers.insert(d);
        return {};
    }
    void clear_incoming(const std::string &d) override { markers.erase(d); }
    Status start_finisher(const std::string &d) override {
        if (fail_finisher) return system_error("cannot start iscsi-lvm-migrate-finish@" + d + ".service");
        finishers.push_back(d);
        return {};
    }
};

class HookDispatch : public BackendTest {
protected:
    std::ostringstream err;
    std::vector<DiskRef> others;
    FakeHandover handover;
    TempRunDir run_dir;   // the volume locks and owner records
    host::PoolStore store{run_dir.path() + "/etc", run_dir.path() + "/run"};
    FakeClock clock;
    bool out_of_time = false;
    hook::HookEnv env() {
        hook::HookEnv e;
        e.pools = kPools;
        e.disks_of_other_running_domains = [this]() -> Result<std::vector<DiskRef>> { return others; };
        e.handover = &handover;
        e.store = &store;
        e.clock = &clock;
        e.timed_out = [this] { return out_of_time; };
        if (agent) e.ask_agent = [this](const host::AgentRequest &r) {
            asked.push_back(r);
            return agent(r);
        };
        return e;
    }
    // The local agent's answer to the hook (null: the hook has no agent to ask).
    std::function<Result<host::AgentAnswer>(const host::AgentRequest &)> agent;
    std::vector<host::AgentRequest> asked;
    int run(const std::string &op, const std::string &subop, const std::string &xml, const std::string &domain = "web1") {
        BackendControl control(*backend, pool);
        return hook::run_hook(Invocation{domain, op, subop, "-"}, xml, env(), control, err);
    }
    // What prepare leaves: web1 recorded as the owner of each volume.
    void owned_by_web1(const std::vector<std::string> &vols) {
        for (const auto &v : vols) ASSERT_TRUE(host::add_volume_owner(store, {"san", v}, {"web1", false, 1}).ok());
    }
    std::vector<host::VolumeOwner> owners(const std::string &vol) {
        auto o = host::read_volume_owners(store, {"san", vol});
        EXPECT_TRUE(o.ok());
        return o.ok() ? *o : std::vector<host::VolumeOwner>{};
    }
    // lvs answers for vm1 and vm9; `vm1_active_after` lvs calls, vm1 shows as active here.
    static std::string lvs_json(bool vm1_active) {
        std::string a = vm1_active ? "1" : "0";
        return R"({"report":[{"lv":[
          {"lv_name":"vm1","lv_uuid":"7xoDtu-yvNM-iwQx-C94t-BbYs-UzBl-o8hAIa","lv_size":"1073741824","lv_path":"/dev/vg_san/vm1","lv_active_locally":")" + a + R"(","lv_active_exclusively":")" + a + R"(","lv_device_open":"0","lv_skip_activation":"1","lv_autoactivation":"0","lv_lockargs":"1.0.0:70254592"},
          {"lv_name":"vm9","lv_uuid":"Pq9sLk-2Wm4-Zx8c-Vb3n-Mq1a-Rt6y-Ue5iOp","lv_size":"1073741824","lv_path":"/dev/vg_san/vm9","lv_active_locally":"0","lv_active_exclusively":"0","lv_device_open":"0","lv_skip_activation":"1","lv_autoactivation":"0","lv_lockargs":"1.0.0:73400320"}]}]})";
    }
    // Host 1 (kvm-a) holds vm9: our lvchange `flag` on it fails, the leases name the holder.
    void vm9_held_by_host1(const std::string &flag) {
        sys.on({"lvchange", flag, "-K", "vg_san/vm9"}, fail_out(5, "  LV locked by other host: vg_san/vm9\n"));
        sys.on({"sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:73400320:8388608"},
               ok_out("00000000 lvm_vg_san Pq9sLk-2Wm4-Zx8c-Vb3n-Mq1a-Rt6y-Ue5iOp 0000000777 0001 0001 2\n"));
        sys.on({"sanlock", "direct", "dump", "/dev/mapper/vg_san-lvmlock:0:8388608"}, ok_out(data_file("sanlock/dump_delta.txt")));
    }
    void two_volumes(size_t vm1_active_after = 1000) {
        started_pool();
        std::vector<CommandOutput> outs;
        for (size_t i = 0; i < vm1_active_after; ++i) outs.push_back(ok_out(lvs_json(false)));
        outs.push_back(ok_out(lvs_json(true)));
        sys.on({"lvs"}, outs);
    }
};

TEST_F(HookDispatch, UnrelatedOperationsTouchNothingEvenWithGarbageXml) {
    for (auto [op, sub] : std::vector<std::pair<std::string, std::string>>{
             {"start", "begin"}, {"started", "begin"}, {"stopped", "end"}, {"prepare", "end"}, {"attach", "begin"}, {"release", "begin"}})
        EXPECT_EQ(run(op, sub, "<<<not xml"), 0) << op;
    EXPECT_TRUE(sys.commands.empty());
    EXPECT_TRUE(err.str().empty());
}

TEST_F(HookDispatch, DomainsWithoutOurDisksTouchNothing) {
    const char *other = "<domain><name>x</name><devices><disk type='file'><source file='/a.img'/><target dev='vda'/></disk></devices></domain>";
    EXPECT_EQ(run("prepare", "begin", other), 0);
    EXPECT_EQ(run("release", "end", other), 0);
    EXPECT_TRUE(sys.commands.empty());
}

TEST_F(HookDispatch, PrepareActivatesEveryDiskExclusively) {
    two_volumes();
    EXPECT_EQ(run("prepare", "begin", kOneDisk), 0) << err.str();
    EXPECT_TRUE(sys.ran({"lvchange", "-aey", "-K", "vg_san/vm1"}));
    EXPECT_TRUE(sys.ran({"lvchange", "-aey", "-K", "vg_san/vm9"}));
    expect_golden("hook-prepare", sys.transcript());
}

TEST_F(HookDispatch, PrepareFailureNamesDiskAndHolderAndRollsBack) {
    // One lvs for both activations; the rollback reads vm1 again (this call changed it).
    two_volumes(1);
    vm9_held_by_host1("-aey");
    EXPECT_EQ(run("prepare", "begin", kOneDisk), 1);
    EXPECT_EQ(err.str(),
              "iscsi-lvm: cannot start domain 'web1': disk vdb (san/vm9): cannot activate volume 'vm9' of pool san: it is "
              "active on host 1 (kvm-a) (hint: stop the domain that uses it there, or run ilvm vol-deactivate vm9 --pool "
              "san on that host)\n");
    // vm1 was activated by this call, so it is released again: nothing stays active here.
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/vm1"})) << sys.transcript();
    expect_golden("hook-prepare-conflict-rollback", sys.transcript());
}

// A qcow2 volume (shim/disk_format.hpp): the disk must read it as qcow2, and a full LV must
// pause the guest rather than hand it errors.
std::string thin_disk(const std::string &volume, const std::string &driver) {
    return "<domain><name>web1</name><devices><disk type='volume' device='disk'>" + driver + "<source pool='san' volume='" +
           volume + "'/><target dev='vda'/></disk></devices></domain>";
}

TEST_F(HookDispatch, AQcow2VolumeReadAsRawIsRefusedAndLeftInactive) {
    started_pool();
    sys.on({"lvs"}, std::vector<CommandOutput>{ok_out(data_file("lvm/lvs_thin.json")), ok_out(data_file("lvm/lvs_thin_active_here.json"))});
    EXPECT_EQ(run("prepare", "begin", thin_disk("thin", "")), 1);
    EXPECT_EQ(err.str(),
              "iscsi-lvm: cannot start domain 'web1': disk vda (san/thin): volume 'thin' of pool san holds a qcow2 image, but "
              "the disk's driver type is raw (no <driver type>): the guest would overwrite the image's tables (hint: write "
              "<driver name='qemu' type='qcow2'/> in the disk (see docs/user-guide.md, qcow2 volumes))\n");
    EXPECT_TRUE(sys.ran({"lvchange", "-aey", "-K", "vg_san/thin"}));
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/thin"})) << sys.transcript();   // what this start activated goes
    EXPECT_TRUE(owners("thin").empty());
    err.str("");
    EXPECT_EQ(run("prepare", "begin", thin_disk("thin", "<driver name='qemu' type='raw'/>")), 1);
    EXPECT_NE(err.str().find("the disk's driver type is 'raw'"), std::string::npos) << err.str();
}

TEST_F(HookDispatch, AQcow2VolumeReadAsQcow2Starts) {
    started_pool();
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_thin.json")));
    for (const char *policy : {"", " error_policy='stop'", " error_policy='enospace'"}) {
        EXPECT_EQ(run("prepare", "begin", thin_disk("thin", std::string("<driver name='qemu' type='qcow2'") + policy + "/>")), 0)
            << err.str();
        EXPECT_EQ(owners("thin").size(), 1u);
    }
    expect_not_run({"lvchange", "-an"});
}

// A qcow2 volume with snapshots (backend/chain_activation.cpp): prepare activates its top
// exclusively and its layers shared, release deactivates them all; the domain names the top.
TEST_F(HookDispatch, AChainIsActivatedAndReleasedAsAUnit) {
    started_pool();
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_snap_two.json")));
    const std::string xml = thin_disk("thin", "<driver name='qemu' type='qcow2'/>");
    EXPECT_EQ(run("prepare", "begin", xml), 0) << err.str();
    std::vector<std::string> want{"lvchange -aey -K vg_san/thin", "lvchange -asy -K vg_san/snap_thin_s2",
                                  "lvchange -asy -K vg_san/snap_thin_s1"};
    EXPECT_EQ(sys.mutating_commands(), want);
    sys.commands.clear();
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_snap_two_active_here.json")));
    EXPECT_EQ(run("release", "end", xml), 0) << err.str();
    want = {"lvchange -an vg_san/thin", "lvchange -an vg_san/snap_thin_s2", "lvchange -an vg_san/snap_thin_s1"};
    EXPECT_EQ(sys.mutating_commands(), want);
}

TEST_F(HookDispatch, ALayerAnotherHostHoldsExclusivelyRefusesTheStartAndLeavesNothing) {
    // Another host deletes an older snapshot and rebases s2 (it holds s2 exclusively).
    started_pool();
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_snap_two.json")));
    sys.on({"lvchange", "-asy", "-K", "vg_san/snap_thin_s2"}, fail_out(5, "  LV locked by other host: vg_san/snap_thin_s2\n"));
    EXPECT_EQ(run("prepare", "begin", thin_disk("thin", "<driver name='qemu' type='qcow2'/>")), 1);
    EXPECT_NE(err.str().find("snap_thin_s2"), std::string::npos) << err.str();
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/thin"})) << sys.transcript();
    expect_not_run({"lvchange", "-asy", "-K", "vg_san/snap_thin_s1"});
    EXPECT_TRUE(owners("thin").empty());
}

// Linked clones (backend/linked_clones.cpp): a domain on a clone takes the clone exclusive
// and its template shared; a domain naming the template itself is refused, nothing activated.
TEST_F(HookDispatch, ALinkedClonesTemplateIsTakenSharedAndNeverADomainsOwnDisk) {
    started_pool();
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_tpl_two_clones.json")));
    EXPECT_EQ(run("prepare", "begin", thin_disk("c1", "<driver name='qemu' type='qcow2'/>")), 0) << err.str();
    const std::vector<std::string> want{"lvchange -aey -K vg_san/c1", "lvchange -asy -K vg_san/vm1"};
    EXPECT_EQ(sys.mutating_commands(), want);
    sys.commands.clear();
    err.str("");
    EXPECT_EQ(run("prepare", "begin", thin_disk("vm1", "<driver name='qemu' type='raw'/>")), 1);
    EXPECT_NE(err.str().find("it is a template of linked clones, read-only for good"), std::string::npos) << err.str();
    expect_no_mutation();
}

TEST_F(HookDispatch, AQcow2VolumeWhoseGuestWouldSeeWriteErrorsIsRefused) {
    started_pool();
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_thin.json")));
    EXPECT_EQ(run("prepare", "begin", thin_disk("thin", "<driver name='qemu' type='qcow2' error_policy='report'/>")), 1);
    EXPECT_NE(err.str().find("error_policy 'report' would hand the guest write errors instead of pausing it (hint: remove "
                             "error_policy from the disk's <driver>, or set it to 'stop' or 'enospace')"),
              std::string::npos)
        << err.str();
    err.str("");
    EXPECT_EQ(run("prepare", "begin", thin_disk("thin", "<driver name='qemu' type='qcow2' error_policy='ignore'/>")), 1);
    EXPECT_NE(err.str().find("would drop the guest's writes"), std::string::npos) << err.str();
}

// QEMU's discard-no-unref on qcow2 over block (shim/disk_format.hpp): a discarding qcow2 disk
// must keep its clusters, or the image can outgrow what its LV is ever given.
TEST_F(HookDispatch, AQcow2VolumeThatWouldFreeDiscardedClustersIsRefusedAndLeftInactive) {
    started_pool();
    sys.on({"lvs"}, std::vector<CommandOutput>{ok_out(data_file("lvm/lvs_thin.json")), ok_out(data_file("lvm/lvs_thin_active_here.json"))});
    EXPECT_EQ(run("prepare", "begin", thin_disk("thin", "<driver name='qemu' type='qcow2' discard='unmap'/>")), 1);
    EXPECT_EQ(err.str(),
              "iscsi-lvm: cannot start domain 'web1': disk vda (san/thin): volume 'thin' of pool san is a qcow2 volume, but the "
              "disk's discard='unmap' without discard_no_unref='on' lets QEMU free discarded clusters inside the image, which "
              "can then grow past what its LV is ever given (hint: add discard_no_unref='on' to the disk's <driver> (libvirt "
              "9.5 and QEMU 8.1 or later), or remove discard='unmap')\n");
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/thin"})) << sys.transcript();   // what this start activated goes
    EXPECT_TRUE(owners("thin").empty());
    err.str("");
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_thin.json")));
    EXPECT_EQ(run("prepare", "begin", thin_disk("thin", "<driver name='qemu' type='qcow2' discard='unmap' discard_no_unref='off'/>")),
              1);
    for (const char *driver : {" discard='unmap' discard_no_unref='on'", " discard='ignore'", " discard_no_unref='on'"}) {
        err.str("");
        EXPECT_EQ(run("prepare", "begin", thin_disk("thin", std::string("<driver name='qemu' type='qcow2'") + driver + "/>")), 0)
            << driver << ": " << err.str();
    }
    // A raw volume discards into its LV, which gives the space to the LUN: nothing to keep.
    EXPECT_EQ(run("prepare", "begin", thin_disk("vm1", "<driver name='qemu' type='raw' discard='unmap'/>")), 0) << err.str();
}

TEST_F(HookDispatch, ARawVolumeMayHoldAnImageItsAdministratorWrote) {
    started_pool();
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_thin.json")));
    EXPECT_EQ(run("prepare", "begin", thin_disk("vm1", "<driver name='qemu' type='qcow2' error_policy='report'/>")), 0)
        << err.str();
}

TEST_F(HookDispatch, PrepareRefusesWhenPoolNotStarted) {
    sys.on({"lvs"}, ok_out(data_file("lvm/lvs_vm1.json")));
    BackendControl control(*backend, pool);
    control.started.clear();
    int rc = hook::run_hook(Invocation{"web1", "prepare", "begin", "-"}, kOneDisk, env(), control, err);
    EXPECT_EQ(rc, 1);
    EXPECT_NE(err.str().find("pool san is not started on this host (hint: ilvm pool-start san)"), std::string::npos) << err.str();
    expect_no_mutation();
}

TEST_F(HookDispatch, PrepareRefusesVolumeUsedByAnotherLocalDomain) {
    two_volumes();
    others = {{"vda", "/dev/vg_san/vm1", "san", "vm1", false}};
    EXPECT_EQ(run("prepare", "begin", kOneDisk), 1);
    EXPECT_NE(err.str().find("in use by another running domain on this host"), std::string::npos);
    expect_no_mutation();
}

TEST_F(HookDispatch, MalformedXmlFailsPrepareButNotRelease) {
    EXPECT_EQ(run("prepare", "begin", "<domain><devices>"), 1);
    EXPECT_NE(err.str().find("iscsi-lvm: cannot check the disks of domain 'web1': domain XML is not well-formed"),
              std::string::npos)
        << err.str();
    err.str("");
    EXPECT_EQ(run("release", "end", "<domain><devices>"), 0);
    EXPECT_TRUE(err.str().empty());
    EXPECT_TRUE(sys.commands.empty());
}

TEST_F(HookDispatch, ReleaseDeactivatesButKeepsVolumesOthersUse) {
    started_pool();
    sys.on({"lvs"}, ok_out(R"({"report":[{"lv":[
      {"lv_name":"vm1","lv_uuid":"a","lv_size":"1073741824","lv_path":"/dev/vg_san/vm1","lv_active_locally":"1","lv_active_exclusively":"1","lv_device_open":"0","lv_skip_activation":"1","lv_autoactivation":"0","lv_lockargs":"1.0.0:70254592"},
      {"lv_name":"vm9","lv_uuid":"b","lv_size":"1073741824","lv_path":"/dev/vg_san/vm9","lv_active_locally":"1","lv_active_exclusively":"0","lv_device_open":"0","lv_skip_activation":"1","lv_autoactivation":"0","lv_lockargs":"1.0.0:73400320"}]}]})"));
    others = {{"vdz", "san/vm9", "san", "vm9", true}};
    owned_by_web1({"vm1", "vm9"});
    EXPECT_EQ(run("release", "end", kOneDisk), 0);
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/vm1"}));
    expect_not_run({"lvchange", "-an", "vg_san/vm9"});
}

TEST_F(HookDispatch, ReleaseToleratesAlreadyInactive) {
    two_volumes();
    owned_by_web1({"vm1", "vm9"});
    EXPECT_EQ(run("release", "end", kOneDisk), 0);
    expect_no_mutation();
}

// Found in the lab: libvirt runs release after a refused prepare. A start refused while a
// vol-wipe held vm1 was followed by a release that deactivated vm1 under the wipe.
TEST_F(HookDispatch, ReleaseOfAStartThatNeverActivatedLeavesTheVolumesAlone) {
    two_volumes(0);  // vm1 active here: a maintenance verb (or the admin) activated it
    EXPECT_EQ(run("release", "end", kOneDisk), 0);
    expect_no_mutation();
    EXPECT_TRUE(err.str().empty());
}

TEST_F(HookDispatch, IncomingMigrationTakesVolumesSharedAndStartsTheFinisher) {
    two_volumes();
    EXPECT_EQ(run("migrate", "begin", kOneDisk), 0) << err.str();
    EXPECT_EQ(sys.mutating_commands(), (std::vector<std::string>{"lvchange -asy -K vg_san/vm1", "lvchange -asy -K vg_san/vm9"}));
    EXPECT_EQ(handover.markers, std::set<std::string>{"web1"});
    EXPECT_EQ(handover.finishers, std::vector<std::string>{"web1"});
    EXPECT_TRUE(err.str().empty());  // stdout/stderr stay quiet: libvirt reads migrate's stdout as XML
}

TEST_F(HookDispatch, UnpreparedMigrationIsRefusedBeforeAnyMemoryIsCopied) {
    // The source still holds vm9 exclusively (plain `virsh migrate`): -asy fails here.
    two_volumes(1);
    vm9_held_by_host1("-asy");
    EXPECT_EQ(run("migrate", "begin", kOneDisk), 1);
    EXPECT_EQ(err.str(),
              "iscsi-lvm: cannot accept the live migration of domain 'web1': disk vdb (san/vm9): cannot activate volume "
              "'vm9' of pool san: it is active on host 1 (kvm-a) (hint: if that is the migration's source, run the agent on "
              "both hosts (systemctl start ilvmd), or migrate with `ilvm migrate web1 DESTURI` on it: either shares the "
              "volumes' locks for the hand-over)\n");
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/vm1"})) << sys.transcript();  // rolled back
    EXPECT_TRUE(handover.markers.empty());
    EXPECT_TRUE(handover.finishers.empty());
}

// A stock `virsh migrate`: the hook asks its agent to have the source share the volumes,
// then takes them shared as after `ilvm migrate`.
TEST_F(HookDispatch, IncomingMigrationAsksTheAgentFirstThenTakesTheVolumesShared) {
    two_volumes();
    agent = [](const host::AgentRequest &) -> Result<host::AgentAnswer> { return host::AgentAnswer{{}, {}, "kvm-a shared san/vm9"}; };
    EXPECT_EQ(run("migrate", "begin", kOneDisk), 0) << err.str();
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].op, host::AgentOp::incoming);
    EXPECT_EQ(asked[0].domain, "web1");
    EXPECT_EQ(asked[0].volumes, (std::vector<host::VolumeRef>{{"san", "vm1"}, {"san", "vm9"}}));
    EXPECT_EQ(sys.mutating_commands(), (std::vector<std::string>{"lvchange -asy -K vg_san/vm1", "lvchange -asy -K vg_san/vm9"}));
    EXPECT_EQ(handover.markers, std::set<std::string>{"web1"});
}

// The source's agent said no (the domain is not migrating away from there, say): refused
// before any memory is copied, and nothing was activated here.
TEST_F(HookDispatch, AnAgentsRefusalRefusesTheMigrationWithoutTouchingAVolume) {
    two_volumes(1);
    agent = [](const host::AgentRequest &) -> Result<host::AgentAnswer> {
        return host::AgentAnswer{conflict("kvm-a refused to share san/vm9 for the migration of web1: domain web1 runs on "
                                          "this host with no job, not an outgoing migration",
                                          "migrate it from this host"),
                                 {}, {}};
    };
    EXPECT_EQ(run("migrate", "begin", kOneDisk), 1);
    EXPECT_EQ(err.str(), "iscsi-lvm: cannot accept the live migration of domain 'web1': kvm-a refused to share san/vm9 "
                         "for the migration of web1: domain web1 runs on this host with no job, not an outgoing migration "
                         "(hint: migrate it from this host)\n");
    expect_no_mutation();
    EXPECT_TRUE(handover.markers.empty());
}

// Fail closed: an agent that cannot answer (timed out, say) refuses the migration.
TEST_F(HookDispatch, AnAgentThatCannotAnswerRefusesTheMigration) {
    two_volumes(1);
    agent = [](const host::AgentRequest &) -> Result<host::AgentAnswer> {
        return system_error("cannot read from ilvmd (/run/iscsi-lvm/ilvmd.sock): Socket I/O timed out");
    };
    EXPECT_EQ(run("migrate", "begin", kOneDisk), 1);
    EXPECT_NE(err.str().find("Socket I/O timed out"), std::string::npos) << err.str();
    expect_no_mutation();
}

// No agent on this host: nothing to ask; the shared activation decides (it works after
// `ilvm migrate`; against an exclusive holder it is refused, the hint names both ways).
TEST_F(HookDispatch, WithoutAnAgentTheSharedActivationDecides) {
    two_volumes(1);
    vm9_held_by_host1("-asy");
    agent = [](const host::AgentRequest &) -> Result<host::AgentAnswer> {
        return not_found("cannot reach ilvmd (/run/iscsi-lvm/ilvmd.sock): No such file or directory");
    };
    EXPECT_EQ(run("migrate", "begin", kOneDisk), 1);
    EXPECT_EQ(asked.size(), 1u);
    EXPECT_NE(err.str().find("run the agent on both hosts (systemctl start ilvmd), or migrate with `ilvm migrate web1 "
                             "DESTURI` on it"),
              std::string::npos)
        << err.str();
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/vm1"})) << sys.transcript();  // rolled back
}

// Readonly and shareable disks are never exclusive anywhere: nothing to ask for.
TEST_F(HookDispatch, AMigrationOfSharedDisksOnlyAsksNoAgent) {
    two_volumes();
    agent = [](const host::AgentRequest &) -> Result<host::AgentAnswer> { return system_error("must not be asked"); };
    const char *shared_only = R"(<domain type='kvm'><name>web1</name><devices>
    <disk type='block' device='disk'><source dev='/dev/vg_san/vm1'/><target dev='vda'/><shareable/></disk>
</devices></domain>)";
    EXPECT_EQ(run("migrate", "begin", shared_only), 0) << err.str();
    EXPECT_TRUE(asked.empty());
}

TEST_F(HookDispatch, PrepareOfAnAcceptedMigrationKeepsTheSharedLocks) {
    two_volumes();
    handover.markers.insert("web1");
    EXPECT_EQ(run("prepare", "begin", kOneDisk), 0) << err.str();
    EXPECT_TRUE(sys.ran({"lvchange", "-asy", "-K", "vg_san/vm1"}));
    expect_not_run({"lvchange", "-aey"});
}

TEST_F(HookDispatch, MigrationWithoutAMarkerIsUndone) {
    two_volumes();
    handover.fail_mark = true;
    EXPECT_EQ(run("migrate", "begin", kOneDisk), 1);
    EXPECT_NE(err.str().find("cannot write /run/iscsi-lvm/migrate/web1.incoming"), std::string::npos) << err.str();
    EXPECT_TRUE(handover.finishers.empty());
}

TEST_F(HookDispatch, AFinisherThatCannotStartDoesNotFailTheMigration) {
    // The reconciler restores the exclusive lock later; failing here would only strand the VM.
    two_volumes();
    handover.fail_finisher = true;
    EXPECT_EQ(run("migrate", "begin", kOneDisk), 0);
    EXPECT_EQ(handover.markers, std::set<std::string>{"web1"});
}

TEST_F(HookDispatch, ReleaseEndsAnUnfinishedIncomingMigration) {
    two_volumes();
    handover.markers.insert("web1");
    EXPECT_EQ(run("release", "end", kOneDisk), 0);
    EXPECT_TRUE(handover.markers.empty());
}

TEST(HookHandover, SystemdEscapeMatchesSystemdEscape) {
    // Expected values from `systemd-escape` (systemd 252).
    EXPECT_EQ(hook::systemd_escape("web1"), "web1");
    EXPECT_EQ(hook::systemd_escape("my-vm 2"), "my\\x2dvm\\x202");
    EXPECT_EQ(hook::systemd_escape(".hidden"), "\\x2ehidden");
    EXPECT_EQ(hook::systemd_escape("a.b:c_d"), "a.b:c_d");
    EXPECT_EQ(hook::systemd_escape("é"), "\\xc3\\xa9");
}

TEST_F(HookDispatch, ReconnectOnlyChecks) {
    two_volumes();
    EXPECT_EQ(run("reconnect", "begin", kOneDisk), 0);
    expect_no_mutation();
    // A running domain owns its volumes: the record is written where it was missing.
    EXPECT_EQ(owners("vm1").size(), 1u);
    EXPECT_EQ(owners("vm9").front().domain, "web1");
}

// --- one writer per volume on this host (issue 14) -------------------------------------------

TEST_F(HookDispatch, PrepareRecordsTheDomainAsOwnerAndReleaseRemovesIt) {
    two_volumes();
    ASSERT_EQ(run("prepare", "begin", kOneDisk), 0) << err.str();
    ASSERT_EQ(owners("vm1").size(), 1u);
    EXPECT_EQ(owners("vm1").front().domain, "web1");
    EXPECT_FALSE(owners("vm1").front().shared);
    ASSERT_EQ(run("release", "end", kOneDisk), 0);
    EXPECT_TRUE(owners("vm1").empty());
    EXPECT_TRUE(owners("vm9").empty());
}

TEST_F(HookDispatch, TwoDomainsPreparingOnOneVolumeBeforeEitherRunsOnlyTheFirstPasses) {
    // libvirt writes a domain's status file only after `prepare`: the second start sees no
    // running domain, only the first one's owner record.
    two_volumes();
    ASSERT_EQ(run("prepare", "begin", kOneDisk, "web1"), 0) << err.str();
    const size_t before = sys.mutating_commands().size();
    EXPECT_EQ(run("prepare", "begin", kOneDisk, "web2"), 1);
    EXPECT_NE(err.str().find("cannot start domain 'web2': volume 'vm1' of pool san is in use by domain 'web1' on this host"),
              std::string::npos)
        << err.str();
    EXPECT_EQ(sys.mutating_commands().size(), before) << sys.transcript();
    EXPECT_EQ(owners("vm1").size(), 1u);
}

TEST_F(HookDispatch, SharedDisksMayHaveSeveralOwners) {
    const char *shared = R"(<domain><name>w</name><devices>
        <disk type='volume'><source pool='san' volume='vm9'/><target dev='vdb'/><shareable/></disk></devices></domain>)";
    two_volumes();
    ASSERT_EQ(run("prepare", "begin", shared, "web1"), 0) << err.str();
    ASSERT_EQ(run("prepare", "begin", shared, "web2"), 0) << err.str();
    EXPECT_EQ(owners("vm9").size(), 2u);
    ASSERT_EQ(run("release", "end", shared, "web1"), 0);
    // web2 still uses it: no deactivation.
    expect_not_run({"lvchange", "-an", "vg_san/vm9"});
    EXPECT_EQ(host::owner_names(owners("vm9")), "web2");
}

TEST_F(HookDispatch, PrepareIsRefusedWhileMaintenanceWorksOnTheVolumeNamingIt) {
    two_volumes();
    auto wipe = host::VolumeLock::try_acquire(store, {"san", "vm1"}, "vol-wipe", /*domain=*/false);
    ASSERT_TRUE(wipe.ok());
    ASSERT_TRUE(std::holds_alternative<host::VolumeLock>(*wipe));
    EXPECT_EQ(run("prepare", "begin", kOneDisk), 1);
    EXPECT_NE(err.str().find("cannot start domain 'web1': volume san/vm1 is busy on this host: vol-wipe (pid "),
              std::string::npos)
        << err.str();
    EXPECT_TRUE(clock.sleeps.empty());   // refused at once, no wait
    expect_no_mutation();
    EXPECT_TRUE(owners("vm1").empty());
}

// libvirt's release after that refusal: it returns at once (no wait for the wipe) and leaves
// the wiped volume to the wipe.
TEST_F(HookDispatch, ReleaseAfterARefusalDoesNotWaitForMaintenance) {
    two_volumes(0);
    auto wipe = host::VolumeLock::try_acquire(store, {"san", "vm1"}, "vol-wipe", /*domain=*/false);
    ASSERT_TRUE(wipe.ok());
    ASSERT_TRUE(std::holds_alternative<host::VolumeLock>(*wipe));
    EXPECT_EQ(run("release", "end", kOneDisk), 0);
    EXPECT_TRUE(clock.sleeps.empty());
    expect_no_mutation();
}

TEST_F(HookDispatch, PrepareWaitsForAnotherDomainsHookThenGivesUp) {
    two_volumes();
    auto other = host::VolumeLock::try_acquire(store, {"san", "vm9"}, "start of domain web2", /*domain=*/true);
    ASSERT_TRUE(other.ok() && std::holds_alternative<host::VolumeLock>(*other));
    EXPECT_EQ(run("prepare", "begin", kOneDisk), 1);
    EXPECT_NE(err.str().find("volume san/vm9 is still busy on this host: start of domain web2"), std::string::npos) << err.str();
    EXPECT_GE(clock.sleeps.size(), 500u);   // 60 s of 100 ms attempts
    expect_no_mutation();
}

TEST_F(HookDispatch, ADamagedOwnerRecordRefusesTheStart) {
    two_volumes();
    std::filesystem::create_directories(run_dir.path() + "/run/san.volumes");
    std::ofstream(run_dir.path() + "/run/san.volumes/vm1.owners") << "web7 sometimes\n";
    EXPECT_EQ(run("prepare", "begin", kOneDisk), 1);
    EXPECT_NE(err.str().find("is damaged"), std::string::npos) << err.str();
    expect_no_mutation();
}

TEST_F(HookDispatch, AnUnreadableStatusFileOfAnotherDomainRefusesTheStartButNotTheRelease) {
    two_volumes();
    BackendControl control(*backend, pool);
    auto e = env();
    e.disks_of_other_running_domains = []() -> Result<std::vector<DiskRef>> {
        return system_error("cannot tell which volumes the other domains here use: /run/libvirt/qemu/x.xml: too large");
    };
    EXPECT_EQ(hook::run_hook(Invocation{"web1", "prepare", "begin", "-"}, kOneDisk, e, control, err), 1);
    EXPECT_NE(err.str().find("cannot tell which volumes the other domains here use"), std::string::npos) << err.str();
    expect_no_mutation();
    EXPECT_EQ(hook::run_hook(Invocation{"web1", "release", "end", "-"}, kOneDisk, e, control, err), 0);
}

TEST_F(HookDispatch, RunningOutOfTimeUndoesWhatThisStartActivated) {
    // The first volume is activated; then the hook's time is up (the second lvchange hung and
    // was killed): the first is deactivated again, nothing is recorded, the start is refused.
    two_volumes(1);
    int checks = 0;
    BackendControl control(*backend, pool);
    auto e = env();
    e.timed_out = [&] { return ++checks > 1; };
    EXPECT_EQ(hook::run_hook(Invocation{"web1", "prepare", "begin", "-"}, kOneDisk, e, control, err), 1);
    EXPECT_TRUE(sys.ran({"lvchange", "-aey", "-K", "vg_san/vm1"}));
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/vm1"})) << sys.transcript();
    expect_not_run({"lvchange", "-aey", "-K", "vg_san/vm9"});
    EXPECT_NE(err.str().find("ran out of time"), std::string::npos) << err.str();
    EXPECT_TRUE(owners("vm1").empty());
}

// libvirtd restarted while its hook waited (measured in e2e `faults`: the orphaned hook went
// on, activated the volume and recorded a domain that never ran; the volume stayed held
// until the reconciler's stale-owner delay). Nobody waits for this start any more: undo it.
TEST_F(HookDispatch, AStartWhoseLibvirtdWentAwayUndoesItsActivation) {
    two_volumes(1);
    BackendControl control(*backend, pool);
    auto e = env();
    int checks = 0;
    e.caller_gone = [&] { return ++checks > 1; };   // libvirtd exits while vm1's lvchange runs
    EXPECT_EQ(hook::run_hook(Invocation{"web1", "prepare", "begin", "-"}, kOneDisk, e, control, err), 1);
    EXPECT_TRUE(sys.ran({"lvchange", "-an", "vg_san/vm1"})) << sys.transcript();
    expect_not_run({"lvchange", "-aey", "-K", "vg_san/vm9"});
    EXPECT_NE(err.str().find("libvirt stopped waiting"), std::string::npos) << err.str();
    EXPECT_TRUE(owners("vm1").empty());
}

}  // namespace
}  // namespace ilvm::test

// SPDX-License-Identifier: LGPL-2.1-or-later
// Golden-argv tests of the reconciler (Backend::reconcile_pool): which LVs it touches and
// why, from recorded-shape lvs reports. Every case pins the exact commands.
#include "backend_fixture.hpp"
#include "host/reconcile/reconcile_wire.hpp"
#include "xml/reconcile_xml.hpp"

namespace ilvm::test {
namespace {

using Reconcile = BackendTest;

const ReconcileStep *step_for(const std::vector<ReconcileStep> &steps, const std::string &vol, ReconcileAction a) {
    for (const auto &s : steps)
        if (s.volume == vol && s.action == a) return &s;
    return nullptr;
}

TEST_F(Reconcile, AllInOrderRunsOnlyLvs) {
    lvs({"lvs_vm1.json"});
    auto steps = backend->reconcile_pool(pool, {}, false);
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    EXPECT_TRUE(steps->empty());
    expect_no_mutation();
    expect_golden("reconcile-in-order", sys.transcript());
}

TEST_F(Reconcile, MissingFlagsAreSetButLvmlockIsNeverTouched) {
    lvs({"lvs_flags_missing.json"});
    auto steps = backend->reconcile_pool(pool, {}, false);
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    auto *virsh = step_for(*steps, "fromvirsh", ReconcileAction::set_flags);
    ASSERT_NE(virsh, nullptr);
    EXPECT_EQ(virsh->reason, "activation skip flag off and autoactivation on");
    EXPECT_EQ(virsh->result, StepResult::done);
    auto *hand = step_for(*steps, "byhand", ReconcileAction::set_flags);
    ASSERT_NE(hand, nullptr);
    EXPECT_EQ(hand->reason, "autoactivation on");
    // Active from virsh's lvcreate, unused, but seen idle only now: not released yet.
    auto *idle = step_for(*steps, "fromvirsh", ReconcileAction::idle);
    ASSERT_NE(idle, nullptr);
    EXPECT_FALSE(idle->command.has_value());
    EXPECT_EQ(step_for(*steps, "vm1", ReconcileAction::set_flags), nullptr);
    for (const auto &s : *steps) EXPECT_NE(s.volume, "lvmlock");
    expect_not_run({"lvchange", "-an"});
    expect_golden("reconcile-missing-flags", sys.transcript());
}

TEST_F(Reconcile, IncompleteVolumesAreReportedAndRemovedOnlyWhenAskedAndNobodyWorksOnThem) {
    // "killed": a vol-create-as killed while it zeroed; "making": one this host is making now.
    lvs({"lvs_incomplete.json"});
    ReconcileInput in;
    in.busy = {"making"};
    in.settled = {"killed", "making"};
    auto report = backend->reconcile_pool(pool, in, false);
    ASSERT_TRUE(report.ok()) << report.error().message;
    ASSERT_NE(step_for(*report, "killed", ReconcileAction::incomplete), nullptr);
    EXPECT_EQ(step_for(*report, "killed", ReconcileAction::deactivate), nullptr);   // reported, not released
    EXPECT_EQ(step_for(*report, "making", ReconcileAction::incomplete), nullptr);
    ASSERT_NE(step_for(*report, "making", ReconcileAction::keep), nullptr);
    EXPECT_EQ(step_for(*report, "making", ReconcileAction::keep)->reason, "an ilvm command on this host is working on it");
    expect_no_mutation();

    in.remove_incomplete = true;
    auto removed = backend->reconcile_pool(pool, in, false);
    ASSERT_TRUE(removed.ok());
    auto *r = step_for(*removed, "killed", ReconcileAction::remove_incomplete);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->result, StepResult::done);
    EXPECT_EQ(sys.mutating_commands(), (std::vector<std::string>{"lvremove --yes --config 'backup{retain_min=4 retain_days=0}' vg_san/killed"}));
}

TEST_F(Reconcile, SettledIdleActiveLvIsDeactivated) {
    lvs({"lvs_three.json"});
    ReconcileInput in;
    in.settled = {"vm3"};
    auto steps = backend->reconcile_pool(pool, in, false);
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    auto *d = step_for(*steps, "vm3", ReconcileAction::deactivate);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->reason, "active on this host, not open, used by no running domain");
    EXPECT_EQ(d->result, StepResult::done);
    expect_golden("reconcile-deactivate-idle", sys.transcript());
}

TEST_F(Reconcile, OpenLvAndLvOfRunningDomainAreLeftAloneWithTheReason) {
    lvs({"lvs_three.json"});
    ReconcileInput in;
    in.in_use = {"vm3"};
    in.settled = {"vm2", "vm3"};  // even if the bookkeeping says idle: in use wins
    auto steps = backend->reconcile_pool(pool, in, false);
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    auto *open = step_for(*steps, "vm2", ReconcileAction::keep);
    ASSERT_NE(open, nullptr);
    EXPECT_EQ(open->reason, "open on this host");
    auto *used = step_for(*steps, "vm3", ReconcileAction::keep);
    ASSERT_NE(used, nullptr);
    EXPECT_EQ(used->reason, "used by a running domain on this host");
    expect_no_mutation();
    expect_golden("reconcile-in-use", sys.transcript());
}

TEST_F(Reconcile, AHeldVolumeIsKeptEvenWhenSettled) {
    lvs({"lvs_three.json"});
    ReconcileInput in;
    in.held = {"vm3"};
    in.settled = {"vm3"};   // idle for long: the hold wins until it ends
    auto steps = backend->reconcile_pool(pool, in, false);
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    auto *held = step_for(*steps, "vm3", ReconcileAction::keep);
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(held->reason, "held on this host by ilvm vol-activate --hold");
    expect_no_mutation();
}

TEST_F(Reconcile, DryRunChangesNothingButReportsThePlan) {
    lvs({"lvs_flags_missing.json"});
    ReconcileInput in;
    in.settled = {"fromvirsh"};
    auto steps = backend->reconcile_pool(pool, in, true);
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    auto *d = step_for(*steps, "fromvirsh", ReconcileAction::deactivate);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->result, StepResult::planned);
    EXPECT_NE(step_for(*steps, "byhand", ReconcileAction::set_flags), nullptr);
    expect_no_mutation();
    expect_golden("reconcile-dry-run", sys.transcript());
}

TEST_F(Reconcile, AFailedRepairIsReportedAndTheOthersStillRun) {
    lvs({"lvs_flags_missing.json"});
    sys.on({"lvchange", "--setactivationskip", "y", "--setautoactivation", "n", "--config", lvm::kArchiveConfig,
            "vg_san/fromvirsh"},
           fail_out(5, "  LV locked by other host: vg_san/fromvirsh\n"));
    auto steps = backend->reconcile_pool(pool, {}, false);
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    auto *failed = step_for(*steps, "fromvirsh", ReconcileAction::set_flags);
    ASSERT_NE(failed, nullptr);
    EXPECT_EQ(failed->result, StepResult::failed);
    EXPECT_EQ(failed->error, "LV locked by other host: vg_san/fromvirsh");
    EXPECT_TRUE(sys.ran({"lvchange", "--setactivationskip", "y", "--setautoactivation", "n", "--config", lvm::kArchiveConfig,
                         "vg_san/byhand"}));
}

TEST_F(Reconcile, LvsFailureIsASystemError) {
    sys.on({"lvs"}, fail_out(5, "  Volume group \"vg_san\" not found\n"));
    auto steps = backend->reconcile_pool(pool, {}, false);
    ASSERT_FALSE(steps.ok());
    EXPECT_EQ(steps.error().code, ErrorCode::system);
    expect_no_mutation();
}

TEST(ReconcileXml, InputRoundTripsAndRefusesBadNames) {
    ReconcileInput in;
    in.in_use = {"vm1"};
    in.settled = {"vm3", "vm4"};
    // What the host writes (host/reconcile/reconcile_wire) is what the module reads.
    in.busy = {"vm5"};
    in.held = {"vm6"};
    auto back = parse_reconcile_input_xml(host::format_reconcile_state(in.in_use, in.settled, in.busy, in.held));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->in_use, in.in_use);
    EXPECT_EQ(back->settled, in.settled);
    EXPECT_EQ(back->busy, in.busy);
    EXPECT_EQ(back->held, in.held);
    EXPECT_TRUE(parse_reconcile_input_xml("").ok());
    EXPECT_FALSE(parse_reconcile_input_xml("<reconcile><settled volume='-rf'/></reconcile>").ok());
    EXPECT_FALSE(parse_reconcile_input_xml("<reconcile><evict volume='vm1'/></reconcile>").ok());
    EXPECT_FALSE(parse_reconcile_input_xml("<other/>").ok());
}

TEST(ReconcileXml, ResultCarriesEveryStep) {
    ReconcileStep s{"vm3", ReconcileAction::deactivate, "a <reason>", std::nullopt, StepResult::failed, "boom"};
    EXPECT_EQ(format_reconcile_result_xml("san", {s}),
              "<reconcile pool='san'>\n  <step volume='vm3' action='deactivate' result='failed' reason='a &lt;reason&gt;' "
              "error='boom'/>\n</reconcile>\n");
}

}  // namespace
}  // namespace ilvm::test

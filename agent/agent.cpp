// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/agent.hpp"

#include <csignal>
#include <unistd.h>

#include <glib-unix.h>

#include "agent/mirror_requests.hpp"
#include "agent/pool_pass.hpp"
#include "common/clock.hpp"
#include "common/env.hpp"
#include "common/command_runner.hpp"
#include "common/log.hpp"
#include "host/core/agent_client.hpp"
#include "host/core/summaries.hpp"
#include "host/libvirt/libvirt_mirror_pool.hpp"
#include "host/reconcile/reconcile_pass.hpp"

namespace ilvm::agent {
namespace {

std::chrono::milliseconds until(SteadyTime when) {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(when - std::chrono::steady_clock::now());
    return d.count() > 0 ? d : std::chrono::milliseconds(0);
}

// A finished pass, carried from the worker thread to the main loop.
struct Finished {
    Agent *agent;
    std::string pool;
    PassOutcome outcome;
};

// A pool an ilvm verb changed, carried from a socket thread to the main loop.
struct Changed {
    Agent *agent;
    std::string pool;
    std::string moved_domain;   // a running domain whose disk the verb moved (or "")
};

// A growth's outcome, carried from its thread to the main loop.
struct Grown {
    std::function<void(Result<Looked>)> done;
    Result<Looked> result;
};

// A probe round, carried from the prober's thread to the main loop.
struct Probed {
    Agent *agent;
    Result<std::vector<PeerResult>> round;
};

std::string join(const std::vector<std::string> &v) {
    std::string out;
    for (const auto &s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace

Result<AgentOptions> agent_options_from_env(const std::string &libvirt_uri) {
    AgentOptions o;
    o.libvirt_uri = libvirt_uri;
    ILVM_ASSIGN_OR_RETURN(uint64_t net, env_number("ILVM_AGENT_SAFETY_NET_SECONDS", 60, 5, 86400));
    o.safety_net = std::chrono::seconds(net);
    ILVM_ASSIGN_OR_RETURN(int64_t grace, host::reconcile_grace_seconds());
    o.follow_up.grace = std::chrono::seconds(grace);
    ILVM_ASSIGN_OR_RETURN(o.handover, handover_config_from_env(libvirt_uri));
    ILVM_ASSIGN_OR_RETURN(o.growth, growth_policy_from_env());
    return o;
}

Agent::Agent(host::PoolStore store, host::BackendClient client, AgentOptions options)
    : store_(std::move(store)),
      client_(std::move(client)),
      options_(std::move(options)),
      loop_(g_main_loop_new(nullptr, FALSE)),
      worker_([this](const std::string &pool) { return run_pass(pool); },
              [this](const std::string &pool, PassOutcome outcome) {
                  // On the worker thread: hand the result to the main loop.
                  g_main_context_invoke_full(
                      nullptr, G_PRIORITY_DEFAULT,
                      [](gpointer p) -> gboolean {
                          auto *f = static_cast<Finished *>(p);
                          f->agent->pass_done(f->pool, f->outcome);
                          return G_SOURCE_REMOVE;
                      },
                      new Finished{this, pool, outcome}, [](gpointer p) { delete static_cast<Finished *>(p); });
              }),
      libvirt_(options_.libvirt_uri,
               {.domain = [this](const std::string &domain, int event, int detail) { domain_event(domain, event, detail); },
                .pool =
                    [this](const std::string &pool, int event) {
                        request(route_pool_event(pool, event, started_pools()),
                                "libvirt pool " + pool + " event " + std::to_string(event));
                    },
                .connected =
                    [this] {
                        request_all("connected to libvirt (events may have been missed)");
                        growth_.all_running();
                    },
                .threshold =
                    [this](const std::string &domain, const std::string &node, uint64_t threshold, uint64_t excess) {
                        growth_.threshold_reached(domain, node, threshold, excess);
                    },
                .io_error =
                    [this](const std::string &domain, const std::string &source, int action, const std::string &reason) {
                        growth_.io_error(domain, source, action, reason);
                    }}),
      guest_disks_([this] { return libvirt_.connection(); }),
      volumes_(store_, options_.handover.module_options),
      growth_(
          guest_disks_, volumes_,
          [this] {
              std::vector<host::PoolBinding> out;
              for (auto &p : started_pools()) out.push_back({p.name, p.vg});
              return out;
          },
          options_.growth,
          [this](std::function<Result<Looked>()> job, std::function<void(Result<Looked>)> done) {
              submit_growth(std::move(job), std::move(done));
          },
          [](std::chrono::seconds delay, std::function<void()> what) {
              g_timeout_add_seconds_full(
                  G_PRIORITY_DEFAULT, static_cast<guint>(delay.count()),
                  [](gpointer p) -> gboolean {
                      (*static_cast<std::function<void()> *>(p))();
                      return G_SOURCE_REMOVE;
                  },
                  new std::function<void()>(std::move(what)),
                  [](gpointer p) { delete static_cast<std::function<void()> *>(p); });
          }),
      devices_([this](const std::string &action, const std::string &vg, const std::string &lv) {
          request(route_device_event(action, vg, lv, started_pools()), "udev " + action + " " + vg + "/" + lv);
      }) {}

Agent::~Agent() {
    if (timer_source_) g_source_remove(timer_source_);
    g_main_loop_unref(loop_);
}

void Agent::domain_event(const std::string &domain, int event, int detail) {
    request(route_domain_event(event, detail, started_pools()),
            "domain " + domain + " event " + std::to_string(event) + "/" + std::to_string(detail));
    // An incoming migration's domain runs at its RESUMED event; its STARTED comes while
    // libvirt still migrates it in.
    if (event == VIR_DOMAIN_EVENT_RESUMED ||
        (event == VIR_DOMAIN_EVENT_STARTED && detail != VIR_DOMAIN_EVENT_STARTED_MIGRATED))
        growth_.domain_running(domain);
}

void Agent::submit_growth(std::function<Result<Looked>()> job, std::function<void(Result<Looked>)> done) {
    growth_jobs_.submit([job = std::move(job), done = std::move(done)] {
        auto *grown = new Grown{done, job()};
        g_main_context_invoke_full(
            nullptr, G_PRIORITY_DEFAULT,
            [](gpointer p) -> gboolean {
                auto *g = static_cast<Grown *>(p);
                g->done(g->result);
                return G_SOURCE_REMOVE;
            },
            grown, [](gpointer p) { delete static_cast<Grown *>(p); });
    });
}

std::vector<StartedPool> Agent::started_pools() const {
    std::vector<StartedPool> out;
    for (const auto &name : store_.names()) {
        if (!store_.active(name)) continue;
        auto xml = store_.load_runtime(name);
        if (!xml.ok()) continue;   // stopped meanwhile
        auto summary = host::summarize_pool(*xml);
        if (!summary.ok()) {
            spdlog::warn("pool {}: run-state definition unreadable ({}); only the safety net passes over it", name,
                         summary.error().message);
            continue;
        }
        out.push_back({name, summary->vg});
    }
    return out;
}

void Agent::request(const std::optional<Route> &route, const std::string &why) {
    if (!route) {
        spdlog::debug("{}: no pool concerned", why);
        return;
    }
    spdlog::debug("{}: pass of {} in {} ms", why, join(route->pools), route->delay.count());
    status_.last_event = why;
    status_.last_event_at = unix_seconds();
    const auto due = std::chrono::steady_clock::now() + route->delay;
    for (const auto &p : route->pools) scheduler_.request(p, due);
    rearm();
}

void Agent::request_all(const std::string &why) {
    std::vector<std::string> names;
    for (const auto &p : started_pools()) names.push_back(p.name);
    if (names.empty()) return;
    request(Route{names, std::chrono::milliseconds(0)}, why);
}

void Agent::rearm() {
    if (timer_source_) g_source_remove(timer_source_);
    timer_source_ = 0;
    auto next = scheduler_.next_due();
    if (!next) return;
    timer_source_ = g_timeout_add(
        static_cast<guint>(until(*next).count()),
        [](gpointer self) -> gboolean {
            auto *me = static_cast<Agent *>(self);
            me->timer_source_ = 0;
            me->run_due();
            return G_SOURCE_REMOVE;
        },
        this);
}

void Agent::run_due() {
    for (const auto &pool : scheduler_.take_due(std::chrono::steady_clock::now())) worker_.submit(pool);
    rearm();
}

PassOutcome Agent::run_pass(const std::string &pool) {
    // A fresh libvirt connection per pass: one that a libvirtd restart closed is never reused.
    auto mirror = host::make_libvirt_mirror_pool(options_.libvirt_uri);
    return run_pool_pass(store_, client_, mirror.get(), pool);
}

void Agent::pass_done(const std::string &pool, PassOutcome outcome) {
    ++status_.passes;
    if (auto after = follow_up_after(outcome, options_.follow_up)) {
        scheduler_.request(pool, std::chrono::steady_clock::now() + *after);
        rearm();
    }
    notifier_.status("following libvirt and udev events; " + std::to_string(status_.passes) + " passes; last event: " +
                     (status_.last_event.empty() ? "none" : status_.last_event) +
                     (libvirt_.connected() ? "" : "; libvirt unreachable: " + libvirt_.last_error()));
    publish_status();
}

void Agent::publish_status() {
    status_.updated = unix_seconds();
    status_.libvirt_connected = libvirt_.connected();
    status_.libvirt_error = libvirt_.last_error();
    auto st = host::write_agent_status(store_, status_);
    if (!st.ok() && !status_warned_)
        spdlog::warn("{} (going on: the status is only for ilvm doctor; tried again after each pass)", st.error().message);
    status_warned_ = !st.ok();
}

bool Agent::watchdog_tick() {
    if (auto since = worker_.busy_since(); since && std::chrono::steady_clock::now() - *since > options_.stuck_pass) {
        // No ping: systemd restarts the agent (WatchdogSec=); a restart changes no lock.
        if (!stuck_reported_)
            spdlog::error("a pool pass has run for more than {} min: not feeding the systemd watchdog",
                          options_.stuck_pass.count());
        stuck_reported_ = true;
        return true;
    }
    notifier_.watchdog_ping();
    return true;
}

void Agent::start_handover() {
    handover_ = std::make_unique<HandoverService>(store_, options_.handover);
    const std::string socket = host::agent_socket_path(store_);
    auto local = LocalServer::start(
        socket, [this](const std::string &line) { return answer_local(line); }, std::chrono::seconds(60));
    if (local.ok()) local_ = std::move(*local);
    else
        spdlog::error("{}: the qemu hook cannot ask this agent for a hand-over; a stock virsh migrate to this host is "
                      "refused (ilvm migrate still works)", local.error().message);
    status_.handover = local.ok() ? "" : "off: " + local.error().message;
    auto peers = PeerServer::start(
        "", options_.handover.port, options_.handover.pki,
        [this](const std::string &line, const std::string &subject) { return handover_->answer_peer(line, subject); },
        options_.handover.peer_timeout);
    if (status_.handover.empty())
        status_.handover = peers.ok() ? "ready (port " + std::to_string((*peers)->port()) + ")" : "off: " + peers.error().message;
    if (peers.ok()) {
        peers_ = std::move(*peers);
        // Without the certificates there is nothing to ping with; the hand-over line says why.
        prober_ = std::make_unique<PeerProber>(
            [this] { return probe_round(); },
            [this](Result<std::vector<PeerResult>> round) {
                g_main_context_invoke_full(
                    nullptr, G_PRIORITY_DEFAULT,
                    [](gpointer p) -> gboolean {
                        auto *done = static_cast<Probed *>(p);
                        done->agent->peers_probed(done->round);
                        return G_SOURCE_REMOVE;
                    },
                    new Probed{this, std::move(round)}, [](gpointer p) { delete static_cast<Probed *>(p); });
            },
            options_.safety_net);
    } else {
        spdlog::error("{}: other hosts cannot ask this one to share volumes; a stock virsh migrate away from this host is "
                      "refused (ilvm migrate still works){}",
                      peers.error().message, peers.error().hint.empty() ? "" : " (hint: " + peers.error().hint + ")");
    }
}

std::string Agent::answer_local(const std::string &line) {
    auto request = host::decode_request(line);
    if (request.ok() && request->op == host::AgentOp::mirror_state)
        return host::encode_answer(inspect_pool_mirror(store_, options_.libvirt_uri, request->pool));
    if (request.ok() && request->op == host::AgentOp::pool_changed)
        return answer_pool_changed(request->pool, request->moved_domain);
    return handover_->answer_local(line);   // the hook's hand-over, or the refusal of what is none
}

std::string Agent::answer_pool_changed(const std::string &pool, const std::string &moved_domain) {
    const auto began = std::chrono::steady_clock::now();
    host::AgentAnswer answer = refresh_changed_pool(store_, options_.libvirt_uri, pool);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
    if (answer.status.ok())
        spdlog::debug("pool {} changed by an ilvm verb: mirror refreshed ({} ms)", pool, ms);
    else
        spdlog::warn("pool {} changed by an ilvm verb: {} ({} ms)", pool, answer.status.error().message, ms);
    // The reconcile the verb no longer runs itself; a pool not started here has none.
    if (answer.status.ok() || answer.status.error().code != ErrorCode::not_found) pass_after_verb(pool, moved_domain);
    return host::encode_answer(answer);
}

void Agent::pass_after_verb(const std::string &pool, const std::string &moved_domain) {
    g_main_context_invoke_full(
        nullptr, G_PRIORITY_DEFAULT,
        [](gpointer p) -> gboolean {
            auto *changed = static_cast<Changed *>(p);
            Agent *me = changed->agent;
            // The verb holds the pool until it exits, just after our answer: a pass at once
            // would find it busy and come back after busy_retry anyway.
            me->request(Route{{changed->pool}, me->options_.follow_up.busy_retry}, "pool " + changed->pool + " changed by ilvm");
            // Its disk is another volume now (a running domain's snapshot): the write
            // threshold belongs on the new top, which no libvirt event announces.
            if (!changed->moved_domain.empty()) me->growth_.domain_running(changed->moved_domain);
            return G_SOURCE_REMOVE;
        },
        new Changed{this, pool, moved_domain}, [](gpointer p) { delete static_cast<Changed *>(p); });
}

Result<std::vector<PeerResult>> Agent::probe_round() {
    CommandRunner runner(command_wrapper(options_.handover.module_options));   // tests: the module's wrapper
    ILVM_ASSIGN_OR_RETURN(auto hosts, live_peer_hosts(runner.system()));
    return probe_peers(hosts, [this](const std::string &peer) { return handover_->ping(peer); });
}

void Agent::peers_probed(const Result<std::vector<PeerResult>> &round) {
    std::string failed;
    if (round.ok()) {
        status_.peers = describe_peers(*round);
        status_.peers_failed = failed_peers(*round);
        for (const auto &r : *round)
            if (!r.status.ok()) failed += (failed.empty() ? "" : "; ") + r.host + ": " + r.status.error().message;
    } else {
        // sanlock not answering is doctor's own finding; no peer is to blame.
        status_.peers = "unknown (" + round.error().message + ")";
        status_.peers_failed = 0;
    }
    status_.peers_at = unix_seconds();
    if (failed != unreachable_) {
        if (failed.empty()) spdlog::info("every peer's agent answers: {}", status_.peers);
        else
            spdlog::warn("cannot reach the agent of {} (a stock migration between this host and that one is refused "
                         "until it answers)",
                         failed);
        unreachable_ = failed;
    }
    publish_status();
}

void Agent::stop_handover() {
    prober_.reset();
    peers_.reset();
    local_.reset();
    handover_.reset();   // its watchers stop; their hand-over lock files stay for the reconciler
}

int Agent::run() {
    auto quit = [](gpointer loop) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(loop));
        return G_SOURCE_CONTINUE;
    };
    const guint term = g_unix_signal_add(SIGTERM, quit, loop_);
    const guint intr = g_unix_signal_add(SIGINT, quit, loop_);
    const guint net = g_timeout_add_seconds(
        static_cast<guint>(options_.safety_net.count()),
        [](gpointer self) -> gboolean {
            auto *me = static_cast<Agent *>(self);
            me->request_all("safety net");
            me->growth_.all_running();
            return G_SOURCE_CONTINUE;
        },
        this);
    guint dog = 0;
    if (auto period = notifier_.watchdog_period())
        dog = g_timeout_add(static_cast<guint>(std::chrono::duration_cast<std::chrono::milliseconds>(*period).count() / 2),
                            [](gpointer self) -> gboolean { return static_cast<Agent *>(self)->watchdog_tick(); }, this);

    status_.pid = ::getpid();
    status_.started = unix_seconds();
    status_.safety_net = options_.safety_net.count();
    libvirt_.start();
    start_handover();
    request_all("agent start");
    if (libvirt_.connected()) growth_.all_running();
    publish_status();
    notifier_.ready(libvirt_.connected() ? "following libvirt and udev events"
                                         : "following udev events; libvirt unreachable: " + libvirt_.last_error());
    spdlog::info("ilvmd ready: {} started pool(s), safety net every {} s", started_pools().size(), options_.safety_net.count());
    g_main_loop_run(loop_);

    notifier_.stopping();
    spdlog::info("ilvmd stopping after {} passes", status_.passes);
    stop_handover();
    for (guint id : {term, intr, net, dog})
        if (id) g_source_remove(id);
    return 0;
}

}  // namespace ilvm::agent

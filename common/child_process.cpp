// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/child_process.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "common/log.hpp"

extern char **environ;

namespace ilvm {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string errno_text(int err) { return std::strerror(err); }

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd &operator=(Fd &&o) noexcept {
        reset(std::exchange(o.fd_, -1));
        return *this;
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    ~Fd() { reset(); }

    int get() const { return fd_; }
    bool is_open() const { return fd_ >= 0; }
    void reset(int fd = -1) {
        if (fd_ >= 0 && ::close(fd_) != 0)
            spdlog::debug("closing descriptor {}: {} (a pipe end we are done with; nothing is lost)", fd_,
                          errno_text(errno));
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

struct Pipe {
    Fd read_end;
    Fd write_end;
};

// The child's dup2 onto 0-2 must never find its source already there: a parent started with
// stdin closed gets descriptor 0 from pipe2. Such an end moves above 2.
Status keep_above_stdio(Fd &fd) {
    if (fd.get() > 2) return Status::success();
    int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return system_error("cannot move a pipe's descriptor: " + errno_text(errno));
    fd.reset(moved);
    return Status::success();
}

Status set_nonblocking(const Fd &fd) {
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        return system_error("cannot make a pipe non-blocking: " + errno_text(errno));
    return Status::success();
}

// Close-on-exec on both ends; `ours` (the end this process keeps) non-blocking.
Result<Pipe> make_pipe(bool ours_is_read_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return system_error("cannot create a pipe: " + errno_text(errno));
    Pipe p{Fd(fds[0]), Fd(fds[1])};
    ILVM_TRY(keep_above_stdio(p.read_end));
    ILVM_TRY(keep_above_stdio(p.write_end));
    ILVM_TRY(set_nonblocking(ours_is_read_end ? p.read_end : p.write_end));
    return p;
}

// posix_spawn's two setup objects, destroyed on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    int status = 0;  // the first failing call's error number

    SpawnSetup() {
        step(posix_spawn_file_actions_init(&actions));
        step(posix_spawnattr_init(&attr));
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup &) = delete;
    SpawnSetup &operator=(const SpawnSetup &) = delete;
    void step(int rc) {
        if (status == 0) status = rc;
    }
};

// The parent's environment, with ours in place of any value it had for these names.
std::vector<std::string> child_environment() {
    // Stable, parseable messages from LVM and friends whatever the administrator's locale.
    static constexpr std::string_view ours[] = {"LC_ALL=C", "LVM_SUPPRESS_FD_WARNINGS=1"};
    std::vector<std::string> env;
    for (char **e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        bool replaced = std::any_of(std::begin(ours), std::end(ours), [&](std::string_view o) {
            auto name = o.substr(0, o.find('=') + 1);
            return entry.substr(0, name.size()) == name;
        });
        if (!replaced) env.emplace_back(entry);
    }
    for (auto o : ours) env.emplace_back(o);
    return env;
}

// posix_spawn's argv and envp are arrays of char *; it reads them only.
std::vector<char *> c_strings(const std::vector<std::string> &strings) {
    std::vector<char *> v;
    v.reserve(strings.size() + 1);
    for (const auto &s : strings) v.push_back(const_cast<char *>(s.c_str()));
    v.push_back(nullptr);
    return v;
}

// A started child. Until it is reaped, the destructor kills and reaps it: no return path
// leaves a process or a zombie behind.
class Child {
public:
    enum class Reaped { yes, still_running, lost };

    explicit Child(pid_t pid) : pid_(pid) {}
    Child(const Child &) = delete;
    Child &operator=(const Child &) = delete;
    ~Child() {
        if (done_) return;
        kill();
        if (reap(true) == Reaped::lost)
            spdlog::warn("command process {} could not be reaped: {}", pid_, errno_text(errno));
    }

    // SIGKILL; its pid stays ours until it is reaped.
    void kill() {
        if (::kill(pid_, SIGKILL) != 0 && errno != ESRCH)
            spdlog::warn("cannot kill command process {}: {}", pid_, errno_text(errno));
    }

    // `lost`: waitpid failed (errno says why; ECHILD: something else in this process reaped
    // it); the child is not waited for again.
    Reaped reap(bool block) {
        for (;;) {
            pid_t w = ::waitpid(pid_, &status_, block ? 0 : WNOHANG);
            if (w == pid_) {
                done_ = true;
                return Reaped::yes;
            }
            if (w == 0) return Reaped::still_running;
            if (errno == EINTR) continue;
            done_ = true;
            return Reaped::lost;
        }
    }
    pid_t pid() const { return pid_; }
    int status() const { return status_; }

private:
    const pid_t pid_;
    bool done_ = false;
    int status_ = 0;
};

int millis_until(SteadyClock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
}

// Appends what `fd` holds now, at most `max_reads` pipe-fulls: a child that writes without
// pause must not keep this loop from its deadline and interrupt checks. At the pipe's end
// (or a read error, logged) the end is closed.
void read_available(Fd &fd, std::string &into, int max_reads = 4) {
    char buf[65536];
    for (int reads = 0; reads < max_reads;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n > 0) {
            into.append(buf, static_cast<size_t>(n));
            ++reads;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n < 0)
            spdlog::debug("reading a command's output: {} (taken as its end)", errno_text(errno));
        fd.reset();
        return;
    }
}

// write(2) with SIGPIPE held off for this thread, so that a reader gone away is EPIPE, never
// the end of this process.
ssize_t write_without_sigpipe(int fd, std::string_view data, int &err) {
    sigset_t sigpipe, old;
    sigemptyset(&sigpipe);
    sigaddset(&sigpipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe, &old);
    ssize_t n = ::write(fd, data.data(), data.size());
    err = errno;
    if (n < 0 && err == EPIPE && !sigismember(&old, SIGPIPE)) {
        // The write raised SIGPIPE at this thread: take it while it is still blocked.
        timespec none{};
        while (sigtimedwait(&sigpipe, nullptr, &none) == SIGPIPE) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return n;
}

// Writes as much of `pending` as the pipe takes now; closes the end when all is written or
// the child stopped reading (EPIPE: not an error — it may exit without reading).
void write_available(Fd &fd, std::string_view &pending) {
    int err = 0;
    ssize_t n = write_without_sigpipe(fd.get(), pending, err);
    if (n > 0) {
        pending.remove_prefix(static_cast<size_t>(n));
        if (pending.empty()) fd.reset();
        return;
    }
    if (n < 0 && (err == EINTR || err == EAGAIN)) return;
    spdlog::debug("the command stopped reading its input ({}): {} byte(s) not sent", errno_text(err), pending.size());
    fd.reset();
}

// Passes a piece of a command's progress on. Progress is advisory: a descriptor that is full
// (its reader is slow) or closed loses the piece, and the command goes on.
void forward_progress(int progress_fd, std::string_view piece) {
    if (piece.empty()) return;
    int err = 0;
    if (write_without_sigpipe(progress_fd, piece, err) < 0 && err != EAGAIN)
        spdlog::debug("progress descriptor {}: {} (this piece of progress is not shown)", progress_fd, errno_text(err));
}

// Takes the byte the interrupt pipe carries.
void consume_interrupt(int interrupt_fd) {
    char byte;
    if (::read(interrupt_fd, &byte, 1) < 0)
        spdlog::debug("interrupt pipe: {} (stopping all the same)", errno_text(errno));
}

Result<pid_t> spawn(const Command &cmd, const Pipe &in, const Pipe &out, const Pipe &err) {
    SpawnSetup s;
    if (in.read_end.is_open()) s.step(posix_spawn_file_actions_adddup2(&s.actions, in.read_end.get(), 0));
    else s.step(posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0));
    s.step(posix_spawn_file_actions_adddup2(&s.actions, out.write_end.get(), 1));
    s.step(posix_spawn_file_actions_adddup2(&s.actions, err.write_end.get(), 2));
    // Whatever the host process left without close-on-exec (libvirt, a library) stays here.
    s.step(posix_spawn_file_actions_addclosefrom_np(&s.actions, 3));
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    s.step(posix_spawnattr_setsigdefault(&s.attr, &all));
    s.step(posix_spawnattr_setsigmask(&s.attr, &none));
    // No process group of its own: the hook's timeout signals its own group to stop the
    // command it waits for (shim/main.cpp), and a terminal's ^C reaches it as before.
    s.step(posix_spawnattr_setflags(&s.attr, static_cast<short>(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)));
    if (s.status != 0) return system_error("cannot prepare to run " + cmd.argv[0] + ": " + errno_text(s.status));

    auto argv = c_strings(cmd.argv);
    auto env_strings = child_environment();
    auto envp = c_strings(env_strings);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, argv[0], &s.actions, &s.attr, argv.data(), envp.data());
    if (rc != 0)
        return system_error("cannot run " + cmd.argv[0] + ": " + errno_text(rc),
                            "is the package providing '" + cmd.argv[0] + "' installed?");
    return pid;
}

}  // namespace

Result<ChildRun> run_child_process(const Command &cmd, int interrupt_fd, int progress_fd) {
    if (cmd.argv.empty()) return internal_error("empty command");
    const auto deadline = SteadyClock::now() + cmd.timeout;
    // stdin: the data through a pipe, or /dev/null (end of file at once) when there is none.
    Pipe in;
    if (!cmd.stdin_data.empty()) {
        ILVM_ASSIGN_OR_RETURN(in, make_pipe(false));
    }
    ILVM_ASSIGN_OR_RETURN(Pipe out, make_pipe(true));
    ILVM_ASSIGN_OR_RETURN(Pipe err, make_pipe(true));
    ILVM_ASSIGN_OR_RETURN(pid_t pid, spawn(cmd, in, out, err));
    Child child(pid);
    // The child's ends: closed here, so its exit is our end of file.
    in.read_end.reset();
    out.write_end.reset();
    err.write_end.reset();

    ChildRun run;
    std::string_view pending = cmd.stdin_data;
    while (run.ending == ChildRun::Ending::exited && (out.read_end.is_open() || err.read_end.is_open())) {
        std::vector<pollfd> fds;
        for (const Fd *fd : {&out.read_end, &err.read_end})
            if (fd->is_open()) fds.push_back({fd->get(), POLLIN, 0});
        if (in.write_end.is_open()) fds.push_back({in.write_end.get(), POLLOUT, 0});
        if (interrupt_fd >= 0) fds.push_back({interrupt_fd, POLLIN, 0});
        int ready = ::poll(fds.data(), fds.size(), millis_until(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return system_error("waiting for " + cmd.argv[0] + ": " + errno_text(errno));
        if (ready == 0 && SteadyClock::now() >= deadline) run.ending = ChildRun::Ending::timed_out;
        for (const auto &p : fds) {
            if (p.revents == 0) continue;
            if (p.fd == interrupt_fd) {
                consume_interrupt(interrupt_fd);
                run.ending = ChildRun::Ending::interrupted;
            } else if (p.fd == out.read_end.get()) {
                read_available(out.read_end, run.output.out);
            } else if (p.fd == err.read_end.get()) {
                const size_t before = run.output.err.size();
                read_available(err.read_end, run.output.err);
                if (cmd.reports_progress && progress_fd >= 0)
                    forward_progress(progress_fd, std::string_view(run.output.err).substr(before));
            } else if (p.fd == in.write_end.get()) {
                write_available(in.write_end, pending);
            }
        }
    }

    // Output closed: the child is exiting, normally at once. It may also have closed its
    // output and gone on, so the wait keeps to the deadline and the interrupt too.
    auto pause = std::chrono::milliseconds(1);
    while (run.ending == ChildRun::Ending::exited) {
        auto reaped = child.reap(false);
        if (reaped == Child::Reaped::yes) break;
        if (reaped == Child::Reaped::lost)
            return system_error("waiting for " + cmd.argv[0] + " to exit: " + errno_text(errno));
        if (SteadyClock::now() >= deadline) {
            run.ending = ChildRun::Ending::timed_out;
            break;
        }
        pollfd wake{interrupt_fd, POLLIN, 0};
        if (::poll(&wake, interrupt_fd >= 0 ? 1 : 0, std::min(static_cast<int>(pause.count()), millis_until(deadline))) > 0) {
            consume_interrupt(interrupt_fd);
            run.ending = ChildRun::Ending::interrupted;
        }
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }

    if (run.ending != ChildRun::Ending::exited) {
        child.kill();
        if (child.reap(true) == Child::Reaped::lost)
            spdlog::warn("command process {} ({}) could not be reaped after it was killed: {}", child.pid(), cmd.argv[0],
                         errno_text(errno));
        // What it wrote before it was killed is often the only clue to why it hung; what its
        // own children may still hold open is not waited for (the hook's timeout signals
        // its whole process group, theirs included).
        for (auto [fd, text] : {std::pair{&out.read_end, &run.output.out}, std::pair{&err.read_end, &run.output.err}})
            if (fd->is_open()) read_available(*fd, *text, 16);
        return run;
    }
    int status = child.status();
    run.output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

}  // namespace ilvm

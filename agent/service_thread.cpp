// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/service_thread.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/gobject_ptr.hpp"
#include "common/log.hpp"

namespace ilvm::agent {

namespace {
struct MainContextUnref {
    void operator()(GMainContext *c) const { g_main_context_unref(c); }
};
struct MainLoopUnref {
    void operator()(GMainLoop *l) const { g_main_loop_unref(l); }
};
}  // namespace

// A plain GSocketService with a GThreadPool of our own rather than GThreadedSocketService:
// that one stops its service when all its threads are busy and restarts it from the worker
// that frees one, which queues the next accept on that worker's thread-default context (the
// process's default one, the agent's main loop) — the very loop this class keeps out of the
// way. Here the accept thread itself waits for a free worker (callers wait in the socket's
// backlog, as they would there).
struct SocketServiceThread::State {
    std::unique_ptr<GMainContext, MainContextUnref> context{g_main_context_new()};
    std::unique_ptr<GMainLoop, MainLoopUnref> loop{g_main_loop_new(context.get(), FALSE)};
    GObjectPtr<GSocketService> service;
    GThreadPool *workers = nullptr;
    int max_in_service = 1;
    Serve serve;
    std::thread accepting;

    std::mutex mutex;
    std::condition_variable freed;
    int in_service = 0;   // queued or being served
};

namespace {

// On a worker thread: one connection, then its slot is free.
void serve_one(gpointer connection, gpointer state) {
    auto &st = *static_cast<SocketServiceThread::State *>(state);
    GObjectPtr<GSocketConnection> conn(static_cast<GSocketConnection *>(connection));
    st.serve(conn.get());
    conn.reset();
    std::lock_guard lock(st.mutex);
    --st.in_service;
    st.freed.notify_all();
}

// On the accept thread: hand the connection to a worker once one is free.
gboolean on_incoming(GSocketService *, GSocketConnection *connection, GObject *, gpointer state) {
    auto &st = *static_cast<SocketServiceThread::State *>(state);
    {
        std::unique_lock lock(st.mutex);
        st.freed.wait(lock, [&] { return st.in_service < st.max_in_service; });
        ++st.in_service;
    }
    GError *raw = nullptr;
    if (!g_thread_pool_push(st.workers, g_object_ref(connection), &raw)) {
        GErrorPtr err(raw);
        spdlog::warn("a connection was closed unanswered: no thread to serve it ({})", err ? err->message : "unknown error");
        g_object_unref(connection);
        std::lock_guard lock(st.mutex);
        --st.in_service;
    }
    return TRUE;
}

}  // namespace

Result<std::unique_ptr<SocketServiceThread>> SocketServiceThread::start(int workers, const Listen &listen, Serve serve) {
    std::unique_ptr<SocketServiceThread> self(new SocketServiceThread());
    self->state_ = std::make_unique<State>();
    State &st = *self->state_;
    st.serve = std::move(serve);
    st.max_in_service = workers > 0 ? workers : 1;
    GError *raw = nullptr;
    st.workers = g_thread_pool_new(serve_one, &st, st.max_in_service, FALSE, &raw);
    GErrorPtr err(raw);
    if (!st.workers) return system_error(std::string("no threads to serve connections: ") + (err ? err->message : "unknown error"));
    // GIO queues each accept on the thread-default context of whoever adds an address or
    // (re)starts the service: ours, while the addresses are added here. Pushing a context
    // acquires it, so it is popped before the accept thread pushes it in turn: a push while
    // this thread still holds it is refused (GLib's "assertion 'acquired_context' failed"),
    // leaving the accept thread without its context as the default one (where GIO starts the
    // next accept).
    {
        g_main_context_push_thread_default(st.context.get());
        struct PopContext {
            GMainContext *c;
            ~PopContext() { g_main_context_pop_thread_default(c); }
        } pop{st.context.get()};
        st.service.reset(g_socket_service_new());
        g_signal_connect(st.service.get(), "incoming", G_CALLBACK(on_incoming), &st);
        ILVM_TRY(listen(G_SOCKET_LISTENER(st.service.get())));
    }
    st.accepting = std::thread([&st] {
        g_main_context_push_thread_default(st.context.get());
        g_main_loop_run(st.loop.get());
        g_main_context_pop_thread_default(st.context.get());
    });
    return self;
}

SocketServiceThread::~SocketServiceThread() {
    if (!state_) return;
    State &st = *state_;
    if (st.accepting.joinable()) {
        // Stopped on its own thread (the accept in flight is cancelled there), then joined.
        g_main_context_invoke(
            st.context.get(),
            [](gpointer p) -> gboolean {
                auto *s = static_cast<State *>(p);
                g_socket_service_stop(s->service.get());
                g_socket_listener_close(G_SOCKET_LISTENER(s->service.get()));
                g_main_loop_quit(s->loop.get());
                return G_SOURCE_REMOVE;
            },
            &st);
        st.accepting.join();
    } else if (st.service) {
        g_socket_service_stop(st.service.get());
        g_socket_listener_close(G_SOCKET_LISTENER(st.service.get()));
    }
    // The cancelled accept's callback, so that it lets go of the service.
    while (g_main_context_iteration(st.context.get(), FALSE)) {
    }
    // Every connection queued or in service is answered before `serve`'s state goes.
    if (st.workers) g_thread_pool_free(st.workers, FALSE, TRUE);
}

}  // namespace ilvm::agent

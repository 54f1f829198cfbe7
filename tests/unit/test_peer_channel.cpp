// SPDX-License-Identifier: LGPL-2.1-or-later
// The agents' peer channel (agent/peer_channel.hpp) over 127.0.0.1 with a test PKI made by
// tests/data/pki/make-pki.sh in libvirt's layout: a request answered between two hosts of
// the cluster's CA; a client or a server with a certificate from another CA refused; an
// unreachable agent a clear error within the timeout. Needs openssl and glib-networking.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include <gio/gio.h>

#include "agent/peer_channel.hpp"
#include "test_pki.hpp"

namespace ilvm::test {
namespace {

using namespace std::chrono_literals;

class PeerChannel : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(test_pki_dir(), nullptr) << "openssl could not make the test PKI (tests/data/pki/make-pki.sh)";
        if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) GTEST_SKIP() << "no GIO TLS backend (glib-networking)";
    }
    static PkiFiles pki(const char *which) { return libvirt_pki(*test_pki_dir() + "/" + which); }

    // The call on a thread while this one runs its main context (the server accepts on a
    // context of its own; a client also works from a loop that is iterated).
    static Result<std::string> call(uint16_t port, const PkiFiles &client, const std::string &host = "localhost") {
        auto fut = std::async(std::launch::async, [&] { return agent::peer_call(host, port, client, "hello", 5s); });
        while (fut.wait_for(10ms) != std::future_status::ready) g_main_context_iteration(nullptr, FALSE);
        return fut.get();
    }

    static std::unique_ptr<agent::PeerServer> serve(const PkiFiles &server, std::atomic<int> &served,
                                                    std::string *subject = nullptr, const char *address = "127.0.0.1") {
        auto s = agent::PeerServer::start(address, 0, server,
                                          [&served, subject](const std::string &req, const std::string &who) {
                                              ++served;
                                              if (subject) *subject = who;
                                              return "answer to " + req;
                                          },
                                          5s);
        EXPECT_TRUE(s.ok()) << s.error().message;
        return s.ok() ? std::move(*s) : nullptr;
    }

};

TEST_F(PeerChannel, TwoHostsOfTheClusterTalk) {
    std::atomic<int> served{0};
    std::string subject;
    auto server = serve(pki("good"), served, &subject);
    ASSERT_TRUE(server);
    auto r = call(server->port(), pki("good"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, "answer to hello");
    EXPECT_EQ(served.load(), 1);
    EXPECT_NE(subject.find("hosta"), std::string::npos) << subject;
}

// The agent's main loop can be stuck for half a minute in a libvirt call (a write threshold
// set while the domain's outgoing migration holds its job: libvirt waits up to 30 s for it).
// The peer server accepts on a thread of its own, so a hand-over asked of this host meanwhile
// is still answered (lab, thin-migrate: B's loop stuck in virDomainSetBlockThreshold, A's
// request accepted only after A had given up, "TLS handshake … Socket I/O timed out").
TEST_F(PeerChannel, AServerAnswersWhileTheMainLoopIsStuck) {
    std::atomic<int> served{0};
    auto server = serve(pki("good"), served);
    ASSERT_TRUE(server);
    // This thread is the main loop, and it does not iterate while it waits for the call.
    auto r = agent::peer_call("localhost", server->port(), pki("good"), "hello", 5s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, "answer to hello");
    EXPECT_EQ(served.load(), 1);
}

// More callers at once than the server has threads (4), the main loop still stuck: the ones
// beyond wait for a thread and are answered. (GIO's threaded service stops accepting when its
// threads are busy and restarts from the worker that frees one, queueing the next accept on
// the main loop: the callers after it went unanswered.)
TEST_F(PeerChannel, MoreCallersThanThreadsAreAllAnsweredWhileTheMainLoopIsStuck) {
    std::atomic<int> served{0};
    auto s = agent::PeerServer::start("127.0.0.1", 0, pki("good"),
                                      [&served](const std::string &req, const std::string &) {
                                          std::this_thread::sleep_for(300ms);
                                          ++served;
                                          return "answer to " + req;
                                      },
                                      5s);
    ASSERT_TRUE(s.ok()) << s.error().message;
    const uint16_t port = (*s)->port();
    std::vector<std::future<Result<std::string>>> calls;
    for (int i = 0; i < 8; ++i)
        calls.push_back(std::async(std::launch::async, [port, i] {
            return agent::peer_call("localhost", port, pki("good"), "hello " + std::to_string(i), 10s);
        }));
    for (int i = 0; i < 8; ++i) {
        auto r = calls[i].get();
        ASSERT_TRUE(r.ok()) << "caller " << i << ": " << r.error().message;
        EXPECT_EQ(*r, "answer to hello " + std::to_string(i));
    }
    EXPECT_EQ(served.load(), 8);
}

TEST_F(PeerChannel, AClientFromAnotherCaIsRefusedBeforeItsRequest) {
    std::atomic<int> served{0};
    auto server = serve(pki("good"), served);
    ASSERT_TRUE(server);
    auto r = call(server->port(), pki("rogue"));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(served.load(), 0);   // the handler never saw the intruder's request
}

TEST_F(PeerChannel, AServerFromAnotherCaIsRefusedByTheClient) {
    std::atomic<int> served{0};
    auto server = serve(pki("rogue"), served);
    ASSERT_TRUE(server);
    auto r = call(server->port(), pki("good"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("TLS handshake with the agent at localhost:"), std::string::npos) << r.error().message;
    EXPECT_EQ(served.load(), 0);
}

TEST_F(PeerChannel, AServerCertificateForAnotherNameIsRefused) {
    std::atomic<int> served{0};
    auto server = serve(pki("good"), served, nullptr, "127.0.0.2");
    ASSERT_TRUE(server);
    auto r = call(server->port(), pki("good"), "127.0.0.2");   // the certificate names localhost and 127.0.0.1 only
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("TLS handshake with the agent at 127.0.0.2:"), std::string::npos) << r.error().message;
    EXPECT_EQ(served.load(), 0);
}

TEST_F(PeerChannel, NoAgentListeningIsAClearError) {
    uint16_t port = 0;
    {
        std::atomic<int> served{0};
        auto server = serve(pki("good"), served);   // a port that was free a moment ago
        ASSERT_TRUE(server);
        port = server->port();
    }
    auto r = call(port, pki("good"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("cannot reach the agent at localhost:" + std::to_string(port)), std::string::npos)
        << r.error().message;
}

TEST_F(PeerChannel, MissingCertificatesAreNamed) {
    auto r = agent::peer_call("localhost", 1, libvirt_pki(*test_pki_dir() + "/nothing"), "hello", 1s);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/etc/pki/libvirt/clientcert.pem"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace ilvm::test

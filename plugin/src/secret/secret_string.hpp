// SPDX-License-Identifier: LGPL-2.1-or-later
// A buffer for secret material (a CHAP password, a node record holding one):
// * the bytes live in a heap buffer of its own, never in std::string's small-string buffer
//   inside the object, so a move hands the buffer over instead of copying the bytes, and a
//   moved-from secret holds nothing;
// * every byte of the buffer's capacity is wiped (explicit_bzero) before the buffer is freed:
//   on destruction, on move-assignment over it, and when append() outgrows it;
// * while any secret is held the process is not dumpable (prctl PR_SET_DUMPABLE 0: no core
//   file, no ptrace or /proc/PID/mem for other users); the first secret saves the state, the
//   last one restores it, so secrets may nest and overlap;
// * not copyable, no operator<<, no conversion to std::string: reveal() gives a view, so it
//   cannot end up in a log line, a Command or an error message by a slip of the pen.
// Build a secret text in place (with_capacity + append) rather than in a std::string: a
// std::string leaves copies behind when it grows or is moved.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string.h>
#include <string_view>
#include <sys/prctl.h>
#include <utility>

#include "common/continue_after.hpp"

namespace ilvm {

namespace secret_detail {

// How many secret buffers this process holds; the process is undumpable while it is not 0.
// (Per copy of this header's code: only the backend module holds secrets.)
class Undumpable {
public:
    static void hold() {
        std::lock_guard<std::mutex> lock(mutex());
        if (count()++ == 0) {
            saved() = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
            if (saved() != 0) set(0);
        }
    }
    static void release() noexcept {
        std::lock_guard<std::mutex> lock(mutex());
        // Only "dumpable" (1) can be set back: PR_SET_DUMPABLE refuses 2 (suid_dumpable),
        // which then stays 0, the stricter of the two.
        if (--count() == 0 && saved() == 1) set(1);
    }
    static size_t held() {
        std::lock_guard<std::mutex> lock(mutex());
        return count();
    }

private:
    static void set(int value) noexcept {
        if (::prctl(PR_SET_DUMPABLE, value, 0, 0, 0) != 0)
            continue_after(Status(system_error("prctl(PR_SET_DUMPABLE, " + std::to_string(value) +
                                               ") failed: " + std::strerror(errno))),
                           "the secret is still wiped after use; only a core dump could show it meanwhile");
    }
    static std::mutex &mutex() {
        static std::mutex m;
        return m;
    }
    static size_t &count() {
        static size_t n = 0;
        return n;
    }
    static int &saved() {
        static int v = 1;
        return v;
    }
};

}  // namespace secret_detail

// Wipes a std::string that held secret text: every byte of its capacity, then empties it.
inline void wipe_string(std::string &s) noexcept {
    s.resize(s.capacity());   // no reallocation: the whole buffer becomes addressable
    explicit_bzero(s.data(), s.size());
    s.clear();
}

// Alloc: tests pass one that checks the wiping when a buffer is handed back.
template <typename Alloc = std::allocator<char>>
class BasicSecretString {
    using Traits = std::allocator_traits<Alloc>;

public:
    BasicSecretString() noexcept = default;
    // Copies `v`: the caller wipes its own copy (see take() for a std::string).
    explicit BasicSecretString(std::string_view v) {
        reserve(v.size());
        append(v);
    }
    // An empty secret with room for `n` bytes, so appending up to `n` never reallocates.
    static BasicSecretString with_capacity(size_t n) {
        BasicSecretString s;
        s.reserve(n);
        return s;
    }
    // The bytes of `source`, which is wiped (its whole capacity) and left empty.
    static BasicSecretString take(std::string &source) {
        BasicSecretString s(source);
        wipe_string(source);
        return s;
    }

    BasicSecretString(const BasicSecretString &) = delete;
    BasicSecretString &operator=(const BasicSecretString &) = delete;
    // Hands the buffer over: no byte is copied, the source holds no buffer afterwards.
    BasicSecretString(BasicSecretString &&o) noexcept
        : alloc_(o.alloc_), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
          capacity_(std::exchange(o.capacity_, 0)) {}
    BasicSecretString &operator=(BasicSecretString &&o) noexcept {
        if (this != &o) {
            release();
            alloc_ = o.alloc_;
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
            capacity_ = std::exchange(o.capacity_, 0);
        }
        return *this;
    }
    ~BasicSecretString() { release(); }

    std::string_view reveal() const noexcept { return data_ ? std::string_view(data_, size_) : std::string_view(); }
    bool empty() const noexcept { return size_ == 0; }
    size_t size() const noexcept { return size_; }
    size_t capacity() const noexcept { return capacity_; }

    void reserve(size_t n) {
        if (n > capacity_) move_to_buffer_of(n);
    }
    // Grows (into a new buffer, the old one wiped) only past the capacity reserved.
    void append(std::string_view v) {
        if (v.empty()) return;
        if (v.size() > capacity_ - size_) move_to_buffer_of(std::max(size_ + v.size(), 2 * capacity_));
        std::memcpy(data_ + size_, v.data(), v.size());
        size_ += v.size();
    }

private:
    void move_to_buffer_of(size_t n) {
        char *fresh = Traits::allocate(alloc_, n);
        if (!data_) {
            try {
                secret_detail::Undumpable::hold();
            } catch (...) {
                Traits::deallocate(alloc_, fresh, n);
                throw;
            }
        } else {
            std::memcpy(fresh, data_, size_);
            free_wiped(data_, capacity_);
        }
        data_ = fresh;
        capacity_ = n;
    }
    void free_wiped(char *p, size_t n) noexcept {
        explicit_bzero(p, n);
        Traits::deallocate(alloc_, p, n);
    }
    void release() noexcept {
        if (!data_) return;
        free_wiped(data_, capacity_);
        data_ = nullptr;
        size_ = capacity_ = 0;
        secret_detail::Undumpable::release();
    }

    [[no_unique_address]] Alloc alloc_{};
    char *data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
};

using SecretString = BasicSecretString<>;

}  // namespace ilvm

// SPDX-License-Identifier: LGPL-2.1-or-later
// A string for secret material: wiped on destruction, not copyable by accident, and with
// no operator<< so it cannot end up in a log line or a Command by a slip of the pen.
#pragma once

#include <string>
#include <string.h>

namespace ilvm {

class SecretString {
public:
    SecretString() = default;
    explicit SecretString(std::string v) : v_(std::move(v)) {}
    SecretString(const SecretString &) = delete;
    SecretString &operator=(const SecretString &) = delete;
    SecretString(SecretString &&o) noexcept : v_(std::move(o.v_)) { o.wipe(); }
    SecretString &operator=(SecretString &&o) noexcept {
        wipe();
        v_ = std::move(o.v_);
        o.wipe();
        return *this;
    }
    ~SecretString() { wipe(); }

    const std::string &reveal() const { return v_; }
    bool empty() const { return v_.empty(); }

private:
    void wipe() {
        if (!v_.empty()) explicit_bzero(v_.data(), v_.size());
        v_.clear();
    }
    std::string v_;
};

}  // namespace ilvm

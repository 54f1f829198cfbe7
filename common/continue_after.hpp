// SPDX-License-Identifier: LGPL-2.1-or-later
// Going on after a failure on purpose: a cleanup after an earlier error, tidying after the
// real work succeeded. The one way to drop a Status or Result: the failure is logged (warning)
// with what failed and why going on is safe, so nothing fails silently. Never `(void)`.
#pragma once

#include <string_view>

#include "common/log.hpp"
#include "common/result.hpp"

namespace ilvm {

inline void continue_after(const Status &st, std::string_view why_safe) {
    if (!st.ok()) spdlog::warn("{} (going on: {})", st.error().message, why_safe);
}

template <typename T>
void continue_after(const Result<T> &r, std::string_view why_safe) {
    if (!r.ok()) spdlog::warn("{} (going on: {})", r.error().message, why_safe);
}

}  // namespace ilvm

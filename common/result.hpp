// SPDX-License-Identifier: LGPL-2.1-or-later
// A minimal expected<T, Error>. GCC 12 ships std::expected only in C++23 mode; the
// project is C++20, so this small type gives the same shape (value or Error, never both).
#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "common/error.hpp"

namespace ilvm {

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error err) : v_(std::in_place_index<1>, std::move(err)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() & { assert(ok()); return std::get<0>(v_); }
    const T &value() const & { assert(ok()); return std::get<0>(v_); }
    T &&value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }

    const Error &error() const { assert(!ok()); return std::get<1>(v_); }
    Error take_error() { assert(!ok()); return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error err) : err_(std::move(err)) {}
    static Status success() { return {}; }

    bool ok() const { return !err_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { assert(!ok()); return *err_; }
    Error take_error() { assert(!ok()); return std::move(*err_); }

private:
    std::optional<Error> err_;
};

}  // namespace ilvm

// Propagate an error from a Status/Result expression; the value form binds the result.
#define ILVM_TRY(expr)                                   \
    do {                                                 \
        auto ilvm_try_r_ = (expr);                       \
        if (!ilvm_try_r_.ok()) return ilvm_try_r_.take_error(); \
    } while (0)

#define ILVM_CONCAT_INNER_(a, b) a##b
#define ILVM_CONCAT_(a, b) ILVM_CONCAT_INNER_(a, b)
#define ILVM_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
    auto tmp = (expr);                               \
    if (!tmp.ok()) return tmp.take_error();          \
    decl = std::move(tmp).value()
#define ILVM_ASSIGN_OR_RETURN(decl, expr) \
    ILVM_ASSIGN_OR_RETURN_IMPL_(ILVM_CONCAT_(ilvm_r_, __LINE__), decl, expr)

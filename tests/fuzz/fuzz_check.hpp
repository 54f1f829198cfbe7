// SPDX-License-Identifier: LGPL-2.1-or-later
// What every harness shares: FUZZ_CHECK, an assertion that stays on in every build type and
// aborts with a message (libFuzzer saves the input as a crash; the replay program names the
// corpus file), and the entry point each harness defines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace ilvm::fuzz {

// The corpus file being replayed (replay_main.cpp sets it; libFuzzer names the input itself).
inline const char *current_input = nullptr;

[[noreturn]] inline void fail(const char *file, int line, const char *cond, const std::string &detail) {
    std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed%s%s\n", file, line, cond, detail.empty() ? "" : ": ",
                 detail.c_str());
    if (current_input != nullptr) std::fprintf(stderr, "input: %s\n", current_input);
    std::fflush(stderr);
    std::abort();
}

inline std::string_view as_text(const uint8_t *data, size_t size) {
    return {reinterpret_cast<const char *>(data), size};
}

}  // namespace ilvm::fuzz

// FUZZ_CHECK(condition, detail): detail is a std::string expression, built only on failure.
#define FUZZ_CHECK(cond, detail)                                                       \
    do {                                                                               \
        if (!(cond)) ::ilvm::fuzz::fail(__FILE__, __LINE__, #cond, std::string(detail)); \
    } while (0)

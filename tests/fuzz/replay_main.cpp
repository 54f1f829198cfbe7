// SPDX-License-Identifier: LGPL-2.1-or-later
// The harnesses without libFuzzer (a g++ build, or clang without -Dfuzzing=true): runs every
// file named on the command line, and every file of every directory named there, through
// LLVMFuzzerTestOneInput once, in name order. A failed FUZZ_CHECK or a crash stops it with
// the file's name; no input at all is an error too (a wrong corpus path must not pass).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace fs = std::filesystem;

int main(int argc, char **argv) {
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path p(argv[i]);
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> in_dir;
            for (const auto &e : fs::directory_iterator(p))
                if (e.is_regular_file()) in_dir.push_back(e.path().string());
            std::sort(in_dir.begin(), in_dir.end());
            files.insert(files.end(), in_dir.begin(), in_dir.end());
        } else if (fs::is_regular_file(p, ec)) {
            files.push_back(p.string());
        } else {
            std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
            return 2;
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...: no input found\n", argv[0]);
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();
    for (const auto &f : files) {
        std::ifstream in(f, std::ios::binary);
        const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof()) {
            std::fprintf(stderr, "%s: cannot read\n", f.c_str());
            return 2;
        }
        ilvm::fuzz::current_input = f.c_str();
        try {
            LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(data.data()), data.size());
        } catch (const std::exception &e) {
            // What libFuzzer reports as a deadly signal (std::terminate), with the input's name.
            std::fprintf(stderr, "%s: uncaught exception: %s\n", f.c_str(), e.what());
            std::abort();
        }
    }
    ilvm::fuzz::current_input = nullptr;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::printf("replayed %zu inputs in %lld ms\n", files.size(), static_cast<long long>(ms.count()));
    return 0;
}

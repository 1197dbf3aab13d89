// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <ubpf/verifier.hpp>

TEST_CASE("placeholder verifier", "[verifier]") { CHECK(true); }

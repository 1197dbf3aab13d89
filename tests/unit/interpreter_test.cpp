// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <ubpf/interpreter.hpp>

TEST_CASE("placeholder interpreter", "[interpreter]") { CHECK(true); }

// SPDX-License-Identifier: MIT
// The libcoap3 wrapper over real UDP on loopback: handlers, block-wise files, errors.
#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include "coap.hpp"

using namespace ubpf::coap;

namespace {

/// A server on a port of its own, running on a thread for the test's lifetime.
struct Running {
    Endpoint where;
    Server server;
    std::atomic<bool> stop{false};
    std::thread thread;
    explicit Running(std::uint16_t port) : where{"127.0.0.1", port}, server(where) {}
    void start() {
        thread = std::thread([this] { server.run(stop); });
    }
    ~Running() {
        stop = true;
        if (thread.joinable()) thread.join();
    }
};

}  // namespace

TEST_CASE("requests reach their handler and large bodies travel block-wise both ways", "[coap]") {
    Running device(56831);
    device.server.handle("echo/twice", Method::post,
                         [](const std::vector<std::uint8_t>& body, const std::string&) {
                             std::vector<std::uint8_t> out = body;
                             out.insert(out.end(), body.begin(), body.end());
                             return Reply{204, out, 42};
                         });
    std::vector<std::uint8_t> file(3000);
    for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<std::uint8_t>(i * 7);
    device.server.serve("files/prog.bin", file);
    device.start();

    const Response echoed = request(device.where, Method::post, "echo/twice", {1, 2, 3});
    REQUIRE(echoed.error == "");
    CHECK(echoed.code == 204);
    CHECK(echoed.payload == std::vector<std::uint8_t>{1, 2, 3, 1, 2, 3});

    // 3000 bytes need several 1024-byte blocks each way.
    std::vector<std::uint8_t> big(2500, 0x5a);
    const Response big_echo = request(device.where, Method::post, "echo/twice", big);
    CHECK(big_echo.payload.size() == 5000);

    const Response got = request(device.where, Method::get, "files/prog.bin");
    CHECK(got.code == 205);
    CHECK(got.payload == file);

    CHECK(request(device.where, Method::get, "nothing/here").code == 404);
    CHECK(request(device.where, Method::get, "echo/twice").code == 405);
}

TEST_CASE("an absent device is reported, not waited on forever", "[coap]") {
    const Response r = request({"127.0.0.1", 56839}, Method::get, "x", {}, 1500);
    CHECK(r.code == 0);
    CHECK(r.error != "");
}

TEST_CASE("addresses and URIs are parsed strictly", "[coap]") {
    std::string path;
    const auto e = parse_uri("coap://[::1]:5700/suit/manifest0", &path);
    REQUIRE(e);
    CHECK(e->host == "::1");
    CHECK(e->port == 5700);
    CHECK(path == "suit/manifest0");
    CHECK(parse_uri("coap://127.0.0.1/a")->port == 5683);
    CHECK(!parse_uri("http://127.0.0.1/a"));
    CHECK(!parse_host_port("127.0.0.1:99999"));
    CHECK(!parse_host_port("not-an-address:5683"));
    CHECK(code_text(404) == "4.04 Not Found");
    CHECK(code_text(205) == "2.05 Content");
}

TEST_CASE("a port another server holds is refused, not shared", "[coap]") {
    // libcoap binds with SO_REUSEADDR, so a second server on the same UDP port would bind too and
    // the kernel would hand each datagram to either: a client would get the other server's 4.04.
    Running first(56833);
    first.server.serve("mine", {1});
    first.start();
    try {
        Server second(first.where);
        FAIL("a second server bound 127.0.0.1:56833");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "cannot listen on 127.0.0.1:56833: address in use");
    }
    CHECK(request(first.where, Method::get, "mine").payload == std::vector<std::uint8_t>{1});
}

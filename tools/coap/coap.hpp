// SPDX-License-Identifier: MIT
// A small C++ face for libcoap3 (4.3.1), used by the device simulator and the `ubpf` commands
// that talk to devices: a server with per-path handlers and served files (block-wise), and a
// blocking client request with a timeout. Real CoAP over UDP; nothing is simulated here.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct coap_context_t;

namespace ubpf::coap {

enum class Method : std::uint8_t { get = 1, post = 2, put = 3, del = 4 };

/// A CoAP response code as class.detail, e.g. 205 for 2.05 Content.
struct Reply {
    int code = 205;
    std::vector<std::uint8_t> payload;
    int content_format = -1;  ///< -1: no Content-Format option
    static Reply text(int code, const std::string& s) { return {code, {s.begin(), s.end()}, 0}; }
};

/// "2.05 Content", "4.04 Not Found"...: the code in words, for error messages.
std::string code_text(int code);

/// host:port → a UDP address; IPv4 or IPv6 literal, or "localhost".
struct Endpoint {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5683;
};
/// Parses "coap://HOST:PORT/path..." (IPv6 in brackets). The path (without the leading '/')
/// goes to `path` when given.
std::optional<Endpoint> parse_uri(const std::string& uri, std::string* path = nullptr);
std::optional<Endpoint> parse_host_port(const std::string& text);

class Server {
public:
    using Handler = std::function<Reply(const std::vector<std::uint8_t>& body, const std::string& query)>;

    /// Binds the UDP endpoint; throws std::runtime_error naming the address when it cannot.
    explicit Server(const Endpoint& listen);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Registers `handler` for `method` on `path` (no leading '/'). Call before serving.
    void handle(const std::string& path, Method method, Handler handler);
    /// Serves `bytes` at `path` for GET, block-wise. Replaces what was there.
    void serve(const std::string& path, std::vector<std::uint8_t> bytes);

    /// Processes requests until `stop` becomes true.
    void run(const std::atomic<bool>& stop);
    /// Processes requests for at most `milliseconds`.
    void run_for(unsigned milliseconds);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

struct Response {
    int code = 0;
    std::vector<std::uint8_t> payload;
    std::string error;  ///< non-empty when no response came (unreachable, timeout)
    [[nodiscard]] bool ok() const { return error.empty() && code / 100 == 2; }
    [[nodiscard]] std::string text() const { return {payload.begin(), payload.end()}; }
};

/// Sends one confirmable request and waits for the (block-wise reassembled) response.
Response request(const Endpoint& to, Method method, const std::string& path,
                 const std::vector<std::uint8_t>& payload = {}, unsigned timeout_ms = 10000);

}  // namespace ubpf::coap

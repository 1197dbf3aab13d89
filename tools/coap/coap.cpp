// SPDX-License-Identifier: MIT
#include "coap.hpp"

#include <arpa/inet.h>
#include <coap3/coap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <mutex>
#include <stdexcept>

namespace ubpf::coap {
namespace {

/// libcoap's global set-up, once per process.
void startup() {
    static std::once_flag once;
    std::call_once(once, [] {
        coap_startup();
        coap_set_log_level(LOG_EMERG);  // errors are reported to the caller, not logged
    });
}

bool to_address(const Endpoint& e, coap_address_t& out) {
    coap_address_init(&out);
    const std::string host = e.host == "localhost" ? "127.0.0.1" : e.host;
    if (inet_pton(AF_INET, host.c_str(), &out.addr.sin.sin_addr) == 1) {
        out.addr.sin.sin_family = AF_INET;
        out.addr.sin.sin_port = htons(e.port);
        out.size = sizeof(struct sockaddr_in);
        return true;
    }
    if (inet_pton(AF_INET6, host.c_str(), &out.addr.sin6.sin6_addr) == 1) {
        out.addr.sin6.sin6_family = AF_INET6;
        out.addr.sin6.sin6_port = htons(e.port);
        out.size = sizeof(struct sockaddr_in6);
        return true;
    }
    return false;
}

/// Whether another socket holds the UDP address. libcoap binds with SO_REUSEADDR, which lets a
/// second server bind a port a running one holds (datagrams then reach either): a plain bind,
/// without it, fails on such a port.
bool udp_port_taken(const coap_address_t& address) {
    const int fd = ::socket(address.addr.sa.sa_family, SOCK_DGRAM, 0);
    if (fd < 0) return false;  // (libcoap's own bind reports what is wrong)
    const bool taken = ::bind(fd, &address.addr.sa, address.size) != 0 && errno == EADDRINUSE;
    ::close(fd);
    return taken;
}

std::vector<std::uint8_t> body_of(const coap_pdu_t* pdu) {
    size_t length = 0, offset = 0, total = 0;
    const uint8_t* data = nullptr;
    if (coap_get_data_large(pdu, &length, &data, &offset, &total) == 0 || data == nullptr) return {};
    return {data, data + length};
}

coap_pdu_code_t code_of(int code) {
    return static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(code));
}

}  // namespace

std::string code_text(int code) {
    static const std::map<int, const char*> kNames = {{201, "Created"},
                                                      {202, "Deleted"},
                                                      {203, "Valid"},
                                                      {204, "Changed"},
                                                      {205, "Content"},
                                                      {400, "Bad Request"},
                                                      {401, "Unauthorized"},
                                                      {402, "Bad Option"},
                                                      {403, "Forbidden"},
                                                      {404, "Not Found"},
                                                      {405, "Method Not Allowed"},
                                                      {406, "Not Acceptable"},
                                                      {408, "Request Entity Incomplete"},
                                                      {409, "Conflict"},
                                                      {412, "Precondition Failed"},
                                                      {413, "Request Entity Too Large"},
                                                      {415, "Unsupported Content-Format"},
                                                      {500, "Internal Server Error"},
                                                      {501, "Not Implemented"},
                                                      {503, "Service Unavailable"},
                                                      {504, "Gateway Timeout"}};
    const auto it = kNames.find(code);
    std::string text =
        std::to_string(code / 100) + "." + (code % 100 < 10 ? "0" : "") + std::to_string(code % 100);
    return it == kNames.end() ? text : text + " " + it->second;
}

std::optional<Endpoint> parse_host_port(const std::string& text) {
    Endpoint e;
    std::string port;
    if (!text.empty() && text[0] == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) return std::nullopt;
        e.host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return std::nullopt;
            port = text.substr(close + 2);
        }
    } else {
        const auto colon = text.rfind(':');
        e.host = text.substr(0, colon);
        if (colon != std::string::npos) port = text.substr(colon + 1);
    }
    if (e.host.empty()) return std::nullopt;
    if (!port.empty()) {
        char* end = nullptr;
        const unsigned long p = std::strtoul(port.c_str(), &end, 10);
        if (*end != '\0' || p == 0 || p > 65535) return std::nullopt;
        e.port = static_cast<std::uint16_t>(p);
    }
    coap_address_t check;
    if (!to_address(e, check)) return std::nullopt;
    return e;
}

std::optional<Endpoint> parse_uri(const std::string& uri, std::string* path) {
    const std::string scheme = "coap://";
    if (uri.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
    const std::string rest = uri.substr(scheme.size());
    const auto slash = rest.find('/');
    if (path != nullptr) *path = slash == std::string::npos ? "" : rest.substr(slash + 1);
    return parse_host_port(rest.substr(0, slash));
}

// --- Server ------------------------------------------------------------------------------------

struct Server::Impl {
    coap_context_t* context = nullptr;
    struct Resource {
        std::map<Method, Handler> handlers;
        std::shared_ptr<const std::vector<std::uint8_t>> file;
    };
    std::map<std::string, std::unique_ptr<Resource>> resources;
    // Every file body ever served: libcoap keeps pointers into them for block-wise transfers.
    std::list<std::shared_ptr<const std::vector<std::uint8_t>>> served;

    Resource& resource(const std::string& path, Method method);
};

Server::Server(const Endpoint& listen) : impl_(std::make_unique<Impl>()) {
    startup();
    coap_address_t address;
    if (!to_address(listen, address)) throw std::runtime_error("not an IP address: " + listen.host);
    if (listen.port != 0 && udp_port_taken(address))
        throw std::runtime_error("cannot listen on " + listen.host + ":" + std::to_string(listen.port) +
                                 ": address in use");
    impl_->context = coap_new_context(nullptr);
    if (impl_->context == nullptr) throw std::runtime_error("libcoap could not create a context");
    coap_context_set_block_mode(impl_->context, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    if (coap_new_endpoint(impl_->context, &address, COAP_PROTO_UDP) == nullptr) {
        coap_free_context(impl_->context);
        throw std::runtime_error("cannot listen on " + listen.host + ":" + std::to_string(listen.port) +
                                 " (address in use?)");
    }
}

Server::~Server() {
    if (impl_ && impl_->context != nullptr) coap_free_context(impl_->context);
}

Server::Impl::Resource& Server::Impl::resource(const std::string& path, Method method) {
    auto& slot = resources[path];
    if (!slot) {
        slot = std::make_unique<Resource>();
        coap_resource_t* r =
            coap_resource_init(coap_new_str_const(reinterpret_cast<const uint8_t*>(path.data()), path.size()),
                               COAP_RESOURCE_FLAGS_RELEASE_URI);
        coap_resource_set_userdata(r, slot.get());
        coap_add_resource(context, r);
        const auto handler = [](coap_resource_t* res, coap_session_t* session, const coap_pdu_t* request,
                                const coap_string_t* query, coap_pdu_t* response) {
            auto* self = static_cast<Resource*>(coap_resource_get_userdata(res));
            const auto method_of = static_cast<Method>(coap_pdu_get_code(request));
            if (method_of == Method::get && self->file) {
                coap_pdu_set_code(response, code_of(205));
                coap_add_data_large_response(res, session, request, response, query,
                                             COAP_MEDIATYPE_APPLICATION_OCTET_STREAM, -1, 0,
                                             self->file->size(), self->file->data(), nullptr, nullptr);
                return;
            }
            const auto it = self->handlers.find(method_of);
            if (it == self->handlers.end()) {
                coap_pdu_set_code(response, code_of(405));
                return;
            }
            const std::string q = query != nullptr
                                      ? std::string(reinterpret_cast<const char*>(query->s), query->length)
                                      : std::string{};
            Reply reply;
            try {
                reply = it->second(body_of(request), q);
            } catch (const std::exception& e) {
                reply = Reply::text(500, e.what());
            }
            coap_pdu_set_code(response, code_of(reply.code));
            if (reply.payload.empty()) return;
            // libcoap may need the body after the handler returns (block-wise): it owns a copy.
            auto* body = new std::vector<std::uint8_t>(std::move(reply.payload));
            coap_add_data_large_response(
                res, session, request, response, query,
                static_cast<uint16_t>(reply.content_format < 0 ? 0 : reply.content_format), -1, 0,
                body->size(), body->data(),
                [](coap_session_t*, void* p) { delete static_cast<std::vector<std::uint8_t>*>(p); }, body);
        };
        for (coap_request_t m : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_PUT, COAP_REQUEST_DELETE})
            coap_register_handler(r, m, handler);
    }
    (void)method;
    return *slot;
}

void Server::handle(const std::string& path, Method method, Handler handler) {
    impl_->resource(path, method).handlers[method] = std::move(handler);
}

void Server::serve(const std::string& path, std::vector<std::uint8_t> bytes) {
    auto file = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
    impl_->served.push_back(file);
    impl_->resource(path, Method::get).file = file;
}

void Server::run(const std::atomic<bool>& stop) {
    while (!stop.load()) coap_io_process(impl_->context, 100);
}

void Server::run_for(unsigned milliseconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(milliseconds);
    while (std::chrono::steady_clock::now() < end) coap_io_process(impl_->context, 50);
}

// --- Client ------------------------------------------------------------------------------------

namespace {

struct Pending {
    bool done = false;
    Response response;
};

}  // namespace

Response request(const Endpoint& to, Method method, const std::string& path,
                 const std::vector<std::uint8_t>& payload, unsigned timeout_ms) {
    startup();
    Response out;
    coap_address_t address;
    if (!to_address(to, address)) {
        out.error = "not an IP address: " + to.host;
        return out;
    }
    coap_context_t* context = coap_new_context(nullptr);
    coap_context_set_block_mode(context, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    Pending pending;
    coap_set_app_data(context, &pending);
    coap_register_response_handler(
        context,
        [](coap_session_t* session, const coap_pdu_t*, const coap_pdu_t* received,
           const coap_mid_t) -> coap_response_t {
            auto* p = static_cast<Pending*>(coap_get_app_data(coap_session_get_context(session)));
            const int code = coap_pdu_get_code(received);
            p->response.code = (code >> 5) * 100 + (code & 0x1f);
            p->response.payload = body_of(received);
            p->done = true;
            return COAP_RESPONSE_OK;
        });
    coap_register_nack_handler(context, [](coap_session_t* session, const coap_pdu_t*,
                                           const coap_nack_reason_t reason, const coap_mid_t) {
        auto* p = static_cast<Pending*>(coap_get_app_data(coap_session_get_context(session)));
        p->response.error = reason == COAP_NACK_TOO_MANY_RETRIES ? "no answer (device unreachable?)"
                            : reason == COAP_NACK_RST            ? "the device reset the exchange"
                                                                 : "the request could not be sent";
        p->done = true;
    });
    coap_session_t* session = coap_new_client_session(context, nullptr, &address, COAP_PROTO_UDP);
    coap_pdu_t* pdu = session == nullptr
                          ? nullptr
                          : coap_new_pdu(COAP_MESSAGE_CON, static_cast<coap_pdu_code_t>(method), session);
    if (pdu == nullptr) {
        out.error = "cannot open a CoAP session to " + to.host;
        if (session != nullptr) coap_session_release(session);
        coap_free_context(context);
        return out;
    }
    std::uint8_t token[8];
    size_t token_length = 0;
    coap_session_new_token(session, &token_length, token);
    coap_add_token(pdu, token_length, token);
    std::uint8_t options[256];
    size_t options_length = sizeof options;
    const int segments =
        coap_split_path(reinterpret_cast<const uint8_t*>(path.data()), path.size(), options, &options_length);
    const std::uint8_t* opt = options;
    for (int i = 0; i < segments; ++i) {
        coap_add_option(pdu, COAP_OPTION_URI_PATH, coap_opt_length(opt), coap_opt_value(opt));
        opt += coap_opt_size(opt);
    }
    if (!payload.empty())
        coap_add_data_large_request(session, pdu, payload.size(), payload.data(), nullptr, nullptr);
    if (coap_send(session, pdu) == COAP_INVALID_MID) {
        pending.response.error = "cannot send to " + to.host;
        pending.done = true;
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!pending.done && std::chrono::steady_clock::now() < end) coap_io_process(context, 50);
    if (!pending.done)
        pending.response.error = "no answer within " + std::to_string(timeout_ms / 1000) + " s";
    coap_session_release(session);
    coap_free_context(context);
    return pending.response;
}

}  // namespace ubpf::coap

// SPDX-License-Identifier: MIT
// libFuzzer target for the service's decoders: the first byte picks the decoder, the rest is
// the payload, copied into an exactly-sized heap block so that any read past it is caught.
// Whatever decodes must encode back to an equivalent request (round trip).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <ubpf/service/requests.hpp>

using namespace ubpf::service;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t choice = data[0] % 6;
    std::vector<std::uint8_t> payload(data + 1, data + size);
    const std::span<const std::uint8_t> bytes{payload};
    const std::string_view text{reinterpret_cast<const char*>(payload.data()), payload.size()};
    char out[1024];
    switch (choice) {
        case 0: {
            const auto r = decode_execute(bytes);
            if (r) {
                const std::size_t n = encode_execute(*r, out);
                const auto again = decode_execute(std::string_view{out, n});
                if (n == 0 || !again || !(*again == *r)) std::abort();
            }
            break;
        }
        case 1: {
            const auto r = decode_pull(bytes);
            if (r) {
                char url[128];
                (void)manifest_url(*r, url);
                const std::size_t n = encode_pull(*r, out);
                const auto again = decode_pull(std::string_view{out, n});
                if (n == 0 || !again || !(again->config == r->config) || !(again->helpers == r->helpers) ||
                    again->erase != r->erase || again->manifest != r->manifest || again->netif != r->netif)
                    std::abort();
            }
            break;
        }
        case 2:
            (void)decode_stop(bytes);
            break;
        case 3:
            (void)decode_result(text);
            break;
        case 4:
            (void)decode_timings(text);
            break;
        default: {
            const auto s = decode_status(text);
            if (s) {
                const std::size_t n = encode_status(*s, out);
                const auto again = decode_status(std::string_view{out, n});
                if (n == 0 || !again || !(*again == *s)) std::abort();
            }
            break;
        }
    }
    return 0;
}

// SPDX-License-Identifier: MIT
// libFuzzer target: bytes → the CBOR reader (every item of the input, skipped and re-read with
// the typed getters) → the SUIT manifest verifier → (if accepted) the image check.
// The crypto accepts every signature and hashes everything to zeros, so inputs get past the
// signature and digest checks into the manifest's structure; seeds in seeds-suit/ carry the
// matching all-zero SUIT_Digest. The input lives in an exactly-sized heap block, so a read
// outside it is caught by AddressSanitizer. Checked besides: an accepted manifest's URI lies
// inside the input, and verification is deterministic.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <ubpf/suit/cbor.hpp>
#include <ubpf/suit/manifest.hpp>

namespace {

struct PermissiveCrypto final : ubpf::suit::Crypto {
    void sha256_init() noexcept override {}
    void sha256_update(std::span<const std::uint8_t>) noexcept override {}
    void sha256_final(ubpf::suit::Digest& out) noexcept override { out.fill(0); }
    bool ed25519_verify(std::span<const std::uint8_t>, const ubpf::suit::Signature&,
                        const ubpf::suit::PublicKey&) noexcept override {
        return true;
    }
};

void walk_cbor(std::span<const std::uint8_t> bytes) {
    ubpf::cbor::Reader r{bytes};
    while (!r.at_end()) {
        ubpf::cbor::Reader typed = r;
        std::span<const std::uint8_t> item;
        if (r.get_item(item) != ubpf::cbor::Error::none) return;
        if (item.data() < bytes.data() || item.data() + item.size() > bytes.data() + bytes.size())
            std::abort();
        std::uint64_t u = 0;
        std::int32_t i = 0;
        std::size_t n = 0;
        std::string_view t;
        bool b = false;
        (void)typed.get_uint(u);
        (void)typed.get_int32(i);
        (void)typed.get_bstr(item);
        (void)typed.get_tstr(t);
        (void)typed.get_array(n);
        (void)typed.get_map(n);
        (void)typed.get_tag(u);
        (void)typed.get_bool(b);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> copy(data, data + size);
    const std::span<const std::uint8_t> bytes{copy.data(), size};
    walk_cbor(bytes);

    PermissiveCrypto crypto;
    const std::array<ubpf::suit::PublicKey, 1> keys{};
    const ubpf::suit::Trust trust{keys, ubpf::suit::vendor_id(),
                                  ubpf::suit::class_id(ubpf::suit::vendor_id(), "native"), 0};
    const auto first = ubpf::suit::verify_manifest(bytes, trust, crypto);
    const auto second = ubpf::suit::verify_manifest(bytes, trust, crypto);
    if (first.ok() != second.ok() || first.error() != second.error()) std::abort();
    if (!first.ok()) return 0;
    const auto& info = *first;
    const auto* uri = reinterpret_cast<const std::uint8_t*>(info.uri.data());
    if (!info.uri.empty() && (uri < bytes.data() || uri + info.uri.size() > bytes.data() + bytes.size()))
        std::abort();
    if (info.slot >= ubpf::suit::Limits{}.slots || info.image_size > ubpf::suit::Limits{}.slot_size)
        std::abort();
    std::vector<std::uint8_t> image(info.image_size);
    (void)ubpf::suit::check_image(info, image, crypto);
    return 0;
}

// SPDX-License-Identifier: MIT
// Host side of SUIT: writes the envelope RIOT's own tooling writes for one RAM component
// (dist/tools/suit/gen_manifest.py, `suit-tool create`, `suit-tool sign`; riot-suit-coap.md
// §1.7), byte for byte: canonical CBOR (shortest heads, map keys ascending), the same command
// sequences, the COSE_Sign1 with the embedded SUIT_Digest payload. The crypto is passed in,
// so this header needs no library; host/suit_sodium.hpp wires it to libsodium.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "../suit/manifest.hpp"

namespace ubpf::host::suit {

using ubpf::suit::Digest;
using ubpf::suit::Signature;
using ubpf::suit::Uuid;

/// Appends canonical CBOR to a byte vector.
class CborWriter {
public:
    std::vector<std::uint8_t> bytes;

    CborWriter& head(cbor::Major major, std::uint64_t arg) {
        const auto m = static_cast<std::uint8_t>(static_cast<unsigned>(major) << 5);
        if (arg < 24) {
            bytes.push_back(static_cast<std::uint8_t>(m | arg));
            return *this;
        }
        const int extra = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffffu ? 4 : 8;
        const std::uint8_t info = extra == 1 ? 24 : extra == 2 ? 25 : extra == 4 ? 26 : 27;
        bytes.push_back(static_cast<std::uint8_t>(m | info));
        for (int i = extra - 1; i >= 0; --i) bytes.push_back(static_cast<std::uint8_t>(arg >> (8 * i)));
        return *this;
    }
    CborWriter& uint(std::uint64_t v) { return head(cbor::Major::uint, v); }
    /// -1 - n for n >= 0, i.e. nint(0) is -1.
    CborWriter& nint(std::uint64_t n) { return head(cbor::Major::nint, n); }
    CborWriter& array(std::size_t n) { return head(cbor::Major::array, n); }
    CborWriter& map(std::size_t n) { return head(cbor::Major::map, n); }
    CborWriter& tag(std::uint64_t t) { return head(cbor::Major::tag, t); }
    CborWriter& bstr(std::span<const std::uint8_t> data) {
        head(cbor::Major::bstr, data.size());
        bytes.insert(bytes.end(), data.begin(), data.end());
        return *this;
    }
    CborWriter& tstr(std::string_view text) {
        head(cbor::Major::tstr, text.size());
        bytes.insert(bytes.end(), text.begin(), text.end());
        return *this;
    }
};

/// What one manifest says (gen_manifest.py's JSON for `FILE:0:ram:SLOT`, after `create`).
struct ManifestParams {
    std::uint32_t sequence_number = 0;
    std::string component = "0";  ///< the second install-id part: RAM slot as ASCII digits
    std::string uri;
    Uuid vendor_id{};
    Uuid class_id{};
    Digest image_digest{};
    std::uint32_t image_size = 0;
};

/// The SUIT_Manifest map (the content of envelope key 3, without its bstr head).
inline std::vector<std::uint8_t> build_manifest(const ManifestParams& p) {
    CborWriter digest;  // SUIT_Digest [2, h'…'], itself carried bstr-wrapped
    digest.array(2).uint(ubpf::suit::kDigestSha256).bstr(p.image_digest);

    CborWriter common_sequence;
    common_sequence.array(6).uint(20).map(4);
    common_sequence.uint(1).bstr(p.vendor_id).uint(2).bstr(p.class_id);
    common_sequence.uint(3).bstr(digest.bytes).uint(14).uint(p.image_size);
    common_sequence.uint(1).uint(15).uint(2).uint(15);

    CborWriter common;
    common.map(2).uint(2).array(1).array(2);
    const std::string ram = "ram";
    common.bstr({reinterpret_cast<const std::uint8_t*>(ram.data()), ram.size()});
    common.bstr({reinterpret_cast<const std::uint8_t*>(p.component.data()), p.component.size()});
    common.uint(4).bstr(common_sequence.bytes);

    CborWriter install;
    install.array(6).uint(19).map(1).uint(21).tstr(p.uri).uint(21).uint(2).uint(3).uint(15);
    CborWriter validate;
    validate.array(2).uint(3).uint(15);

    CborWriter manifest;
    manifest.map(5).uint(1).uint(1).uint(2).uint(p.sequence_number);
    manifest.uint(3).bstr(common.bytes).uint(9).bstr(install.bytes).uint(10).bstr(validate.bytes);
    return manifest.bytes;
}

using Sha256Fn = std::function<Digest(std::span<const std::uint8_t>)>;
using SignFn = std::function<Signature(std::span<const std::uint8_t>)>;

/// The COSE_Sign1 protected header {1: -8} (EdDSA).
inline std::vector<std::uint8_t> protected_header() {
    CborWriter w;
    w.map(1).uint(1).nint(7);
    return w.bytes;
}

/// Sig_structure ["Signature1", protected, h'', payload] (RFC 9052 §4.4).
inline std::vector<std::uint8_t> sig_structure(std::span<const std::uint8_t> prot,
                                               std::span<const std::uint8_t> payload) {
    CborWriter w;
    w.array(4).tstr("Signature1").bstr(prot).bstr({}).bstr(payload);
    return w.bytes;
}

/// The signed envelope {2: bstr([bstr(COSE_Sign1)]), 3: bstr(manifest)}; an empty `sign`
/// gives the unsigned form `suit-tool create` writes (auth = bstr(h'80')).
inline std::vector<std::uint8_t> build_envelope(std::span<const std::uint8_t> manifest,
                                                const Sha256Fn& sha256, const SignFn& sign) {
    CborWriter manifest_item;
    manifest_item.bstr(manifest);

    CborWriter auth;
    if (!sign) {
        auth.array(0);
    } else {
        CborWriter payload;  // the digest covers the manifest bstr including its head
        payload.array(2).uint(ubpf::suit::kDigestSha256).bstr(sha256(manifest_item.bytes));
        const auto prot = protected_header();
        const Signature signature = sign(sig_structure(prot, payload.bytes));
        CborWriter cose;
        cose.tag(ubpf::suit::kCoseSign1Tag).array(4).bstr(prot).map(0).bstr(payload.bytes).bstr(signature);
        auth.array(1).bstr(cose.bytes);
    }
    CborWriter envelope;
    envelope.map(2).uint(2).bstr(auth.bytes).uint(3);
    envelope.bytes.insert(envelope.bytes.end(), manifest_item.bytes.begin(), manifest_item.bytes.end());
    return envelope.bytes;
}

}  // namespace ubpf::host::suit

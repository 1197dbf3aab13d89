// SPDX-License-Identifier: MIT
// SUIT manifests as RIOT parses them (draft-ietf-suit-manifest-09 layout, RIOT 2023.x..2026.x;
// docs/suit.md): verification of a signed envelope, then of the image it points at.
//
// API (no heap, no exceptions; the envelope must stay alive while the result is used):
//
//   ubpf::suit::Result<ManifestInfo> verify_manifest(std::span<const std::uint8_t> envelope,
//                                                    const Trust& trust, Crypto& crypto,
//                                                    const Limits& limits = {});
//     trust:  the public keys tried in turn, the device's vendor and class IDs (uuid.hpp), and
//             the highest sequence number installed so far (the caller persists it).
//     crypto: SHA-256 (streaming) and Ed25519 verification from the platform (RIOT's hashes
//             and libcose/c25519 on the device, libsodium on the host: host/suit_sodium.hpp).
//     result: the URI to fetch (a view into the envelope), the sequence number, the RAM slot,
//             the image size and its SHA-256 - or the first error RIOT would have reported.
//
//   ImageCheck check(info, crypto);  check.update(block)...;  Error e = check.finish();
//     the image as it arrives in blocks, in order: too many bytes, too few, or a digest that
//     differs is an error. Only when finish() returns Error::none may the caller install the
//     image and store info.sequence_number as the new highest sequence number.
//   check_image(info, image, crypto): the same for an image that is already complete.
//
// What is checked, in RIOT's order (riot-suit-coap.md §1.3 and §6): size of the envelope;
// the envelope (keys 2 then 3 only); the COSE_Sign1 signatures against each key; the digest of
// the manifest bstr against the signed payload; then the manifest's keys in their order:
// version 1, sequence number > highest, the common section (one component `.ram.N`, N < slots),
// the command sequences (parameters, vendor and class conditions, fetch after policy,
// image-match). Stricter than RIOT, so nothing is accepted that RIOT would choke on: the COSE
// algorithm must be EdDSA, digests must be SHA-256 with 32 bytes, UUIDs 16 bytes, and the
// manifest must fetch an image and check its digest.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "cbor.hpp"
#include "uuid.hpp"

namespace ubpf::suit {

using Digest = std::array<std::uint8_t, 32>;
using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;

// clang-format off
// name, RIOT's suit_error_t value (suit.h), message
#define UBPF_SUIT_ERRORS(X)                                                                         \
    X(none,                  0, "no error")                                                         \
    X(cbor_truncated,       -1, "CBOR item runs past the end of its buffer")                        \
    X(cbor_indefinite,      -1, "indefinite-length CBOR is not supported")                          \
    X(cbor_reserved,        -1, "reserved CBOR additional information (28..30)")                    \
    X(cbor_too_deep,        -1, "CBOR nesting deeper than the limit")                               \
    X(cbor_bad_simple,      -1, "two-byte CBOR simple value below 32")                              \
    X(malformed,            -1, "manifest field has an unexpected CBOR type or value")              \
    X(envelope_too_large,   -9, "envelope is larger than the manifest buffer")                      \
    X(unsupported_key,      -2, "envelope, manifest or common key without a handler")               \
    X(unsupported_command,  -2, "command without a handler")                                        \
    X(unsupported_parameter,-2, "parameter without a handler")                                      \
    X(too_many_components,  -2, "more components than supported")                                   \
    X(unknown_component,    -2, "component id names no storage slot")                               \
    X(no_component,         -1, "command before the components were declared")                      \
    X(bad_component_index,  -1, "component index out of range (or a bool)")                         \
    X(cose_malformed,       -1, "COSE_Sign1 is malformed")                                          \
    X(cose_algorithm,       -6, "COSE algorithm is not EdDSA (-8)")                                 \
    X(cose_too_large,       -6, "COSE Sig_structure exceeds the validation buffer")                 \
    X(signature,            -6, "no trusted key verifies the signature")                            \
    X(not_authenticated,    -6, "manifest before a verified authentication wrapper")                \
    X(no_manifest,          -1, "envelope holds no manifest")                                       \
    X(manifest_digest,      -7, "manifest digest differs from the signed digest")                   \
    X(version,              -5, "manifest version is not 1")                                        \
    X(sequence_number,      -5, "sequence number is not greater than the installed one")           \
    X(vendor_mismatch,      -4, "vendor ID differs from the device's")                              \
    X(class_mismatch,       -4, "class ID differs from the device's")                               \
    X(offset_condition,     -4, "component-offset condition (RAM storage has no offsets)")          \
    X(try_each_failed,      -4, "no alternative of try-each succeeded")                             \
    X(sequence_too_deep,    -1, "command sequences nested too deeply")                              \
    X(missing_parameter,    -1, "command needs a parameter that is not set")                        \
    X(policy,               -8, "fetch before version, sequence number, vendor and class were checked") \
    X(already_fetched,      -1, "component fetched twice")                                          \
    X(uri_too_long,         -9, "URI does not fit the URL buffer")                                  \
    X(uri_scheme,           -1, "URI scheme is not coap://")                                        \
    X(image_too_large,     -50, "image is larger than the storage slot")                            \
    X(not_fetched,          -1, "image-match before fetch")                                         \
    X(digest_algorithm,     -1, "image digest is not SHA-256 (algorithm 2, 32 bytes)")              \
    X(no_fetch,             -1, "manifest fetches no image")                                        \
    X(no_image_match,       -1, "manifest never checks the image digest")                           \
    X(image_size,          -51, "image size differs from the manifest")                             \
    X(image_digest,         -7, "image digest differs from the manifest")
// clang-format on

enum class Error : std::uint8_t {
#define UBPF_SUIT_ENUM(name, riot, text) name,
    UBPF_SUIT_ERRORS(UBPF_SUIT_ENUM)
#undef UBPF_SUIT_ENUM
};

/// The short static text of an error.
[[nodiscard]] constexpr std::string_view message(Error e) noexcept {
    switch (e) {
#define UBPF_SUIT_TEXT(name, riot, text) \
    case Error::name:                    \
        return text;
        UBPF_SUIT_ERRORS(UBPF_SUIT_TEXT)
#undef UBPF_SUIT_TEXT
    }
    return "unknown SUIT error";
}

/// The identifier, e.g. "sequence_number".
[[nodiscard]] constexpr std::string_view name(Error e) noexcept {
    switch (e) {
#define UBPF_SUIT_NAME(name, riot, text) \
    case Error::name:                    \
        return #name;
        UBPF_SUIT_ERRORS(UBPF_SUIT_NAME)
#undef UBPF_SUIT_NAME
    }
    return "unknown";
}

/// The suit_error_t value RIOT returns for the same problem (0, -1..-9, -50..-52).
[[nodiscard]] constexpr int riot_code(Error e) noexcept {
    switch (e) {
#define UBPF_SUIT_RIOT(name, riot, text) \
    case Error::name:                    \
        return riot;
        UBPF_SUIT_ERRORS(UBPF_SUIT_RIOT)
#undef UBPF_SUIT_RIOT
    }
    return -1;
}

/// A value or an error. T must be default-constructible.
template <class T>
class [[nodiscard]] Result {
public:
    constexpr Result(const T& value) noexcept : value_(value) {}  // NOLINT: implicit by design
    constexpr Result(Error error) noexcept : error_(error) {}     // NOLINT: implicit by design
    [[nodiscard]] constexpr bool ok() const noexcept { return error_ == Error::none; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] constexpr const T& value() const noexcept { return value_; }
    constexpr const T& operator*() const noexcept { return value_; }
    constexpr const T* operator->() const noexcept { return &value_; }
    [[nodiscard]] constexpr Error error() const noexcept { return error_; }

private:
    T value_{};
    Error error_ = Error::none;
};

/// The platform's crypto. One SHA-256 is in progress at a time per object. Verification must
/// be pure Ed25519 (RFC 8032) of the message.
class Crypto {
public:
    virtual void sha256_init() noexcept = 0;
    virtual void sha256_update(std::span<const std::uint8_t> data) noexcept = 0;
    virtual void sha256_final(Digest& out) noexcept = 0;
    [[nodiscard]] virtual bool ed25519_verify(std::span<const std::uint8_t> message,
                                              const Signature& signature, const PublicKey& key) noexcept = 0;

protected:
    ~Crypto() = default;
};

/// What the device trusts and what it has installed.
struct Trust {
    std::span<const PublicKey> keys;     ///< tried in order (RIOT: public_key[])
    Uuid vendor_id{};                    ///< vendor_id(SUIT_VENDOR_DOMAIN)
    Uuid class_id{};                     ///< class_id(vendor, board)
    std::uint32_t highest_sequence = 0;  ///< RIOT's RAM storage: one number for all slots, 0 at boot
};

/// RIOT's configuration values that decide acceptance. Defaults: the seed's RAM storage
/// (CONFIG_SUIT_STORAGE_RAM_REGIONS=5, _SIZE=4096; RIOT's own defaults are 2 and 64) and RIOT's
/// buffers (SUIT_MANIFEST_BUFSIZE 640, the worker's URL buffer 128 with suit.inc.mk).
struct Limits {
    std::uint32_t slots = 5;
    std::uint32_t slot_size = 4096;
    std::size_t url_buffer = 128;  ///< the URI plus its NUL must fit
    std::size_t manifest_buffer = 640;
};

/// What the device needs once a manifest is verified.
struct ManifestInfo {
    std::string_view uri;  ///< into the envelope (not NUL-terminated)
    std::uint32_t sequence_number = 0;
    std::uint32_t slot = 0;  ///< RAM region `.ram.<slot>`
    std::uint32_t image_size = 0;
    Digest image_digest{};
    std::uint8_t key_index = 0;  ///< which of Trust::keys verified the signature
};

inline constexpr std::int32_t kSuitVersion = 1;
inline constexpr std::int32_t kCoseAlgEdDsa = -8;
inline constexpr std::uint32_t kDigestSha256 = 2;  // the draft-09 SUIT registry, not COSE's -16
inline constexpr std::uint64_t kCoseSign1Tag = 18;
inline constexpr std::size_t kCoseBufferSize = 180;   // RIOT's SUIT_COSE_BUF_SIZE for the Sig_structure
inline constexpr std::size_t kComponentNameMax = 32;  // CONFIG_SUIT_COMPONENT_MAX_NAME_LEN, with the NUL
inline constexpr std::string_view kRamPrefix = ".ram.";
inline constexpr unsigned kMaxSequenceDepth = 4;  // nested try-each / run-sequence

namespace detail {

constexpr Error from_cbor(cbor::Error e) noexcept {
    switch (e) {
        case cbor::Error::none:
            return Error::none;
        case cbor::Error::truncated:
            return Error::cbor_truncated;
        case cbor::Error::indefinite:
            return Error::cbor_indefinite;
        case cbor::Error::reserved:
            return Error::cbor_reserved;
        case cbor::Error::too_deep:
            return Error::cbor_too_deep;
        case cbor::Error::bad_simple:
            return Error::cbor_bad_simple;
        case cbor::Error::wrong_type:
        case cbor::Error::out_of_range:
            return Error::malformed;
    }
    return Error::malformed;
}

#define UBPF_SUIT_TRY_CBOR(expr)                                                    \
    do {                                                                            \
        if (const ::ubpf::cbor::Error e_ = (expr); e_ != ::ubpf::cbor::Error::none) \
            return ::ubpf::suit::detail::from_cbor(e_);                             \
    } while (false)

#define UBPF_SUIT_TRY(expr)                                                                    \
    do {                                                                                       \
        if (const ::ubpf::suit::Error e_ = (expr); e_ != ::ubpf::suit::Error::none) return e_; \
    } while (false)

/// The content of a bstr item (e.g. a bstr-wrapped structure).
constexpr Error unwrap_bstr(std::span<const std::uint8_t> item,
                            std::span<const std::uint8_t>& content) noexcept {
    cbor::Reader r{item};
    UBPF_SUIT_TRY_CBOR(r.get_bstr(content));
    return Error::none;
}

/// Calls f(key, value item) for each pair of a map, or of an array read as key, value, ...
/// (RIOT enters either). Trailing bytes after the container are ignored, as in RIOT.
template <class F>
constexpr Error for_each_pair(std::span<const std::uint8_t> content, F&& f) noexcept {
    cbor::Reader r{content};
    std::size_t items = 0;
    cbor::Head head;
    UBPF_SUIT_TRY_CBOR(r.peek(head));
    if (head.major == cbor::Major::map) {
        std::size_t pairs = 0;
        UBPF_SUIT_TRY_CBOR(r.get_map(pairs));
        items = 2 * pairs;
    } else if (head.major == cbor::Major::array) {
        UBPF_SUIT_TRY_CBOR(r.get_array(items));
    } else {
        return Error::malformed;
    }
    for (; items >= 2; items -= 2) {
        std::int32_t key = 0;
        UBPF_SUIT_TRY_CBOR(r.get_int32(key));
        std::span<const std::uint8_t> value;
        UBPF_SUIT_TRY_CBOR(r.get_item(value));
        UBPF_SUIT_TRY(f(key, value));
    }
    return items == 0 ? Error::none : Error::malformed;  // a key without a value
}

/// Writes a CBOR head with the shortest argument (what libcose and cbor2 emit).
constexpr std::size_t put_head(std::span<std::uint8_t> out, std::size_t at, cbor::Major major,
                               std::uint64_t arg) noexcept {
    const auto m = static_cast<std::uint8_t>(static_cast<unsigned>(major) << 5);
    std::size_t extra = 0;
    std::uint8_t info = 0;
    if (arg < 24) {
        info = static_cast<std::uint8_t>(arg);
    } else if (arg <= 0xff) {
        info = 24, extra = 1;
    } else if (arg <= 0xffff) {
        info = 25, extra = 2;
    } else if (arg <= 0xffffffffu) {
        info = 26, extra = 4;
    } else {
        info = 27, extra = 8;
    }
    out[at] = static_cast<std::uint8_t>(m | info);
    for (std::size_t i = 0; i < extra; ++i)
        out[at + 1 + i] = static_cast<std::uint8_t>(arg >> (8 * (extra - 1 - i)));
    return 1 + extra;
}

constexpr std::size_t head_size(std::uint64_t arg) noexcept {
    return arg < 24 ? 1 : arg <= 0xff ? 2 : arg <= 0xffff ? 3 : arg <= 0xffffffffu ? 5 : 9;
}

/// One decoded COSE_Sign1.
struct CoseSign1 {
    std::span<const std::uint8_t> protected_bytes;
    std::span<const std::uint8_t> payload;
    std::span<const std::uint8_t> signature;
};

constexpr Error decode_cose_sign1(std::span<const std::uint8_t> bytes, CoseSign1& cose) noexcept {
    cbor::Reader r{bytes};
    cbor::Head head;
    if (r.peek(head) != cbor::Error::none) return Error::cose_malformed;
    if (head.major == cbor::Major::tag) {  // the tag is optional for libcose
        std::uint64_t tag = 0;
        if (r.get_tag(tag) != cbor::Error::none || tag != kCoseSign1Tag) return Error::cose_malformed;
    }
    std::size_t count = 0;
    if (r.get_array(count) != cbor::Error::none || count != 4) return Error::cose_malformed;
    if (r.get_bstr(cose.protected_bytes) != cbor::Error::none) return Error::cose_malformed;
    std::span<const std::uint8_t> unprotected;
    if (r.peek(head) != cbor::Error::none || head.major != cbor::Major::map) return Error::cose_malformed;
    UBPF_SUIT_TRY_CBOR(r.get_item(unprotected));
    if (r.get_bstr(cose.payload) != cbor::Error::none) return Error::cose_malformed;  // nil: detached
    if (r.get_bstr(cose.signature) != cbor::Error::none) return Error::cose_malformed;

    // The protected header must name EdDSA: the key is Ed25519 whatever the header says, so
    // another algorithm means the signer meant something else.
    bool have_alg = false;
    if (!cose.protected_bytes.empty()) {
        cbor::Reader p{cose.protected_bytes};
        std::size_t pairs = 0;
        if (p.get_map(pairs) != cbor::Error::none) return Error::cose_malformed;
        for (; pairs > 0; --pairs) {
            std::int32_t label = 0;
            if (p.get_int32(label) != cbor::Error::none) {
                UBPF_SUIT_TRY_CBOR(p.skip());  // text labels are allowed; skip the label
            } else if (label == 1) {
                std::int32_t alg = 0;
                if (p.get_int32(alg) != cbor::Error::none || alg != kCoseAlgEdDsa)
                    return Error::cose_algorithm;
                have_alg = true;
                continue;
            }
            UBPF_SUIT_TRY_CBOR(p.skip());
        }
    }
    return have_alg ? Error::none : Error::cose_algorithm;
}

/// ["Signature1", protected, h'', payload] with minimal heads (RFC 9052 §4.4), into `out`.
constexpr Error sig_structure(const CoseSign1& cose, std::span<std::uint8_t> out,
                              std::size_t& size) noexcept {
    constexpr std::string_view context = "Signature1";
    const std::size_t needed = 1 + 1 + context.size() + head_size(cose.protected_bytes.size()) +
                               cose.protected_bytes.size() + 1 + head_size(cose.payload.size()) +
                               cose.payload.size();
    if (needed > out.size()) return Error::cose_too_large;
    std::size_t at = put_head(out, 0, cbor::Major::array, 4);
    at += put_head(out, at, cbor::Major::tstr, context.size());
    for (char c : context) out[at++] = static_cast<std::uint8_t>(c);
    at += put_head(out, at, cbor::Major::bstr, cose.protected_bytes.size());
    for (std::uint8_t b : cose.protected_bytes) out[at++] = b;
    at += put_head(out, at, cbor::Major::bstr, 0);  // external_aad
    at += put_head(out, at, cbor::Major::bstr, cose.payload.size());
    for (std::uint8_t b : cose.payload) out[at++] = b;
    size = at;
    return Error::none;
}

/// The walk over one envelope; member functions are RIOT's handlers.
class Verifier {
public:
    constexpr Verifier(const Trust& trust, Crypto& crypto, const Limits& limits) noexcept
        : trust_(trust), crypto_(crypto), limits_(limits) {}

    Error envelope(std::span<const std::uint8_t> bytes) noexcept {
        if (bytes.size() > limits_.manifest_buffer) return Error::envelope_too_large;
        UBPF_SUIT_TRY(for_each_pair(bytes, [this](std::int32_t key, std::span<const std::uint8_t> value) {
            if (key == 2) return authentication(value);
            if (key == 3) return manifest(value);
            return Error::unsupported_key;
        }));
        if (!authenticated_) return Error::signature;
        if (!have_manifest_) return Error::no_manifest;
        if (!fetched_) return Error::no_fetch;
        if (!matched_) return Error::no_image_match;
        return Error::none;
    }

    [[nodiscard]] const ManifestInfo& info() const noexcept { return info_; }

private:
    // Key-major like RIOT's _auth_handler: for each key, every COSE element in turn; a
    // malformed element before a verified one is an error, after it is not looked at.
    Error authentication(std::span<const std::uint8_t> value) noexcept {
        std::span<const std::uint8_t> wrapper;
        UBPF_SUIT_TRY(unwrap_bstr(value, wrapper));
        Error result = Error::signature;
        for (std::size_t k = 0; k < trust_.keys.size() && !authenticated_; ++k) {
            cbor::Reader r{wrapper};
            std::size_t count = 0;
            UBPF_SUIT_TRY_CBOR(r.get_array(count));
            for (; count > 0; --count) {
                std::span<const std::uint8_t> element;
                UBPF_SUIT_TRY_CBOR(r.get_bstr(element));
                if (authenticated_) continue;
                CoseSign1 cose;
                UBPF_SUIT_TRY(decode_cose_sign1(element, cose));
                std::array<std::uint8_t, kCoseBufferSize> tbs{};
                std::size_t tbs_size = 0;
                UBPF_SUIT_TRY(sig_structure(cose, tbs, tbs_size));
                if (cose.signature.size() != Signature{}.size()) continue;
                Signature signature{};
                std::copy(cose.signature.begin(), cose.signature.end(), signature.begin());
                if (crypto_.ed25519_verify(std::span{tbs}.first(tbs_size), signature, trust_.keys[k])) {
                    authenticated_ = true;
                    payload_ = cose.payload;
                    info_.key_index = static_cast<std::uint8_t>(k);
                    result = Error::none;
                }
            }
        }
        return result;
    }

    Error manifest(std::span<const std::uint8_t> value) noexcept {
        if (!authenticated_) return Error::not_authenticated;
        // The digest covers the bstr item including its head, as RIOT and suit-tool compute it.
        std::array<std::uint8_t, 36> expected{0x82, 0x02, 0x58, 0x20};
        Digest digest{};
        crypto_.sha256_init();
        crypto_.sha256_update(value);
        crypto_.sha256_final(digest);
        std::copy(digest.begin(), digest.end(), expected.begin() + 4);
        if (payload_.size() < expected.size() ||
            !std::equal(expected.begin(), expected.end(), payload_.begin()))
            return Error::manifest_digest;
        have_manifest_ = true;
        std::span<const std::uint8_t> content;
        UBPF_SUIT_TRY(unwrap_bstr(value, content));
        return for_each_pair(content, [this](std::int32_t key, std::span<const std::uint8_t> v) {
            switch (key) {
                case 1:
                    return version(v);
                case 2:
                    return sequence_number(v);
                case 3:
                    return common(v);
                case 9:
                case 10:
                    return sequence(v, 0);
                default:
                    return Error::unsupported_key;
            }
        });
    }

    Error version(std::span<const std::uint8_t> value) noexcept {
        cbor::Reader r{value};
        std::int32_t v = 0;
        if (r.get_int32(v) != cbor::Error::none || v != kSuitVersion) return Error::version;
        version_ok_ = true;
        return Error::none;
    }

    Error sequence_number(std::span<const std::uint8_t> value) noexcept {
        cbor::Reader r{value};
        UBPF_SUIT_TRY_CBOR(r.get_uint32(info_.sequence_number));
        if (info_.sequence_number <= trust_.highest_sequence) return Error::sequence_number;
        sequence_ok_ = true;
        return Error::none;
    }

    Error common(std::span<const std::uint8_t> value) noexcept {
        std::span<const std::uint8_t> content;
        UBPF_SUIT_TRY(unwrap_bstr(value, content));
        return for_each_pair(content, [this](std::int32_t key, std::span<const std::uint8_t> v) {
            if (key == 2) return components(v);
            if (key == 4) return sequence(v, 0);
            return Error::unsupported_key;  // 1 (dependencies) is unsupported in RIOT too
        });
    }

    // [ + [ + bstr ] ]: one component (CONFIG_SUIT_COMPONENT_MAX = 1) whose parts, each after a
    // '.', spell `.ram.<decimal>` with the number (its first 5 digits, as scn_u32_dec) < slots.
    Error components(std::span<const std::uint8_t> value) noexcept {
        cbor::Reader r{value};
        std::size_t count = 0;
        UBPF_SUIT_TRY_CBOR(r.get_array(count));
        if (count > 1) return Error::too_many_components;
        for (; count > 0; --count) {
            std::size_t parts = 0;
            UBPF_SUIT_TRY_CBOR(r.get_array(parts));
            std::array<char, kComponentNameMax> name{};
            std::size_t length = 0;
            bool fits = true;
            for (; parts > 0; --parts) {
                std::span<const std::uint8_t> part;
                UBPF_SUIT_TRY_CBOR(r.get_bstr(part));
                if (length + 1 + part.size() >= name.size()) {
                    fits = false;
                    continue;
                }
                name[length++] = '.';
                for (std::uint8_t b : part) name[length++] = static_cast<char>(b);
            }
            if (!fits) return Error::unknown_component;
            const std::string_view text{name.data(), length};
            if (!text.starts_with(kRamPrefix)) return Error::unknown_component;
            const std::string_view number = text.substr(kRamPrefix.size());
            if (number.empty()) return Error::unknown_component;
            std::uint32_t slot = 0;
            for (std::size_t i = 0; i < number.size(); ++i) {
                if (number[i] < '0' || number[i] > '9') return Error::unknown_component;
                if (i < 5) slot = slot * 10 + static_cast<std::uint32_t>(number[i] - '0');
            }
            if (slot >= limits_.slots) return Error::unknown_component;
            info_.slot = slot;
            have_component_ = true;
        }
        return Error::none;
    }

    // A command sequence: a bstr holding [cmd, arg, cmd, arg, ...].
    Error sequence(std::span<const std::uint8_t> value, unsigned depth) noexcept {
        if (depth >= kMaxSequenceDepth) return Error::sequence_too_deep;
        std::span<const std::uint8_t> content;
        UBPF_SUIT_TRY(unwrap_bstr(value, content));
        return for_each_pair(content, [this, depth](std::int32_t command, std::span<const std::uint8_t> arg) {
            return this->command(command, arg, depth);
        });
    }

    Error command(std::int32_t id, std::span<const std::uint8_t> arg, unsigned depth) noexcept {
        switch (id) {
            case 1:
                return condition_uuid(vendor_, trust_.vendor_id, Error::vendor_mismatch, vendor_ok_);
            case 2:
                return condition_uuid(class_, trust_.class_id, Error::class_mismatch, class_ok_);
            case 3:
                return image_match();
            case 5: {
                cbor::Reader r{arg};
                std::uint32_t report = 0;
                UBPF_SUIT_TRY_CBOR(r.get_uint32(report));
                if (!have_component_) return Error::no_component;
                return Error::offset_condition;
            }
            case 12: {
                cbor::Reader r{arg};
                std::uint32_t index = 0;
                if (r.get_uint32(index) != cbor::Error::none || index >= 1) return Error::bad_component_index;
                if (!have_component_) return Error::no_component;
                return Error::none;
            }
            case 15:
                return try_each(arg, depth);
            case 19:
            case 20:
                return set_parameters(arg);
            case 21:
                return fetch();
            case 30:
                return sequence(arg, depth + 1);
            default:
                return Error::unsupported_command;
        }
    }

    Error condition_uuid(std::span<const std::uint8_t> param, const Uuid& expected, Error mismatch,
                         bool& validated) noexcept {
        if (!have_component_) return Error::no_component;
        if (param.empty()) return Error::missing_parameter;
        cbor::Reader r{param};
        std::span<const std::uint8_t> id;
        if (r.get_bstr(id) != cbor::Error::none) return Error::malformed;
        if (id.size() != expected.size() || !std::equal(id.begin(), id.end(), expected.begin()))
            return mismatch;
        validated = true;
        return Error::none;
    }

    Error try_each(std::span<const std::uint8_t> arg, unsigned depth) noexcept {
        if (depth + 1 >= kMaxSequenceDepth) return Error::sequence_too_deep;
        cbor::Reader r{arg};
        std::size_t count = 0;
        cbor::Head head;
        UBPF_SUIT_TRY_CBOR(r.peek(head));
        if (head.major == cbor::Major::array) {
            UBPF_SUIT_TRY_CBOR(r.get_array(count));
        } else if (head.major == cbor::Major::map) {
            UBPF_SUIT_TRY_CBOR(r.get_map(count));
            count *= 2;
        } else {
            return Error::malformed;
        }
        Error result = Error::try_each_failed;
        for (; count > 0; --count) {
            std::span<const std::uint8_t> alternative;
            UBPF_SUIT_TRY_CBOR(r.get_item(alternative));
            result = sequence(alternative, depth + 1);
            if (riot_code(result) != riot_code(Error::vendor_mismatch)) break;  // only SUIT_ERR_COND goes on
        }
        return result;
    }

    Error set_parameters(std::span<const std::uint8_t> arg) noexcept {
        if (!have_component_) return Error::no_component;
        cbor::Reader r{arg};
        std::size_t pairs = 0;
        UBPF_SUIT_TRY_CBOR(r.get_map(pairs));
        for (; pairs > 0; --pairs) {
            std::int32_t key = 0;
            UBPF_SUIT_TRY_CBOR(r.get_int32(key));
            cbor::Head head;
            UBPF_SUIT_TRY_CBOR(r.peek(head));
            if (static_cast<unsigned>(head.major) > static_cast<unsigned>(cbor::Major::tstr))
                return Error::malformed;
            std::span<const std::uint8_t>* slot = nullptr;
            switch (key) {
                case 1:
                    slot = &vendor_;
                    break;
                case 2:
                    slot = &class_;
                    break;
                case 3:
                    slot = &digest_;
                    break;
                case 5:
                    slot = &offset_;
                    break;
                case 14:
                    slot = &size_;
                    break;
                case 21:
                    slot = &uri_;
                    break;
                default:
                    return Error::unsupported_parameter;
            }
            UBPF_SUIT_TRY_CBOR(r.get_item(*slot));
        }
        return Error::none;
    }

    Error fetch() noexcept {
        if (!(version_ok_ && sequence_ok_ && vendor_ok_ && class_ok_)) return Error::policy;
        if (!have_component_) return Error::no_component;
        if (fetched_) return Error::already_fetched;
        if (uri_.empty()) return Error::missing_parameter;
        cbor::Reader u{uri_};
        if (u.get_tstr(info_.uri) != cbor::Error::none) return Error::malformed;
        if (info_.uri.size() >= limits_.url_buffer) return Error::uri_too_long;
        if (size_.empty()) return Error::missing_parameter;
        cbor::Reader s{size_};
        UBPF_SUIT_TRY_CBOR(s.get_uint32(info_.image_size));
        if (info_.image_size > limits_.slot_size) return Error::image_too_large;
        if (!info_.uri.starts_with("coap://")) return Error::uri_scheme;
        fetched_ = true;
        return Error::none;
    }

    // Here the digest is only read and remembered: the image itself is checked by ImageCheck
    // once it has arrived.
    Error image_match() noexcept {
        if (!have_component_) return Error::no_component;
        if (size_.empty() || digest_.empty()) return Error::missing_parameter;
        if (!fetched_) return Error::not_fetched;
        std::span<const std::uint8_t> wrapped;
        if (unwrap_bstr(digest_, wrapped) != Error::none) return Error::malformed;
        cbor::Reader r{wrapped};
        std::size_t count = 0;
        std::uint32_t algorithm = 0;
        std::span<const std::uint8_t> bytes;
        UBPF_SUIT_TRY_CBOR(r.get_array(count));
        if (count != 2) return Error::malformed;
        if (r.get_uint32(algorithm) != cbor::Error::none || algorithm != kDigestSha256)
            return Error::digest_algorithm;
        UBPF_SUIT_TRY_CBOR(r.get_bstr(bytes));
        if (bytes.size() != Digest{}.size()) return Error::digest_algorithm;
        Digest digest{};
        std::copy(bytes.begin(), bytes.end(), digest.begin());
        // Two image-match commands that disagree can never both pass.
        if (matched_ && digest != info_.image_digest) return Error::image_digest;
        info_.image_digest = digest;
        matched_ = true;
        return Error::none;
    }

    const Trust& trust_;
    Crypto& crypto_;
    const Limits& limits_;
    ManifestInfo info_{};
    std::span<const std::uint8_t> payload_;
    // Parameters, each the raw CBOR item of its value (empty: not set).
    std::span<const std::uint8_t> vendor_, class_, digest_, offset_, size_, uri_;
    bool authenticated_ = false, have_manifest_ = false, have_component_ = false;
    bool version_ok_ = false, sequence_ok_ = false, vendor_ok_ = false, class_ok_ = false;
    bool fetched_ = false, matched_ = false;
};

#undef UBPF_SUIT_TRY_CBOR
#undef UBPF_SUIT_TRY

}  // namespace detail

/// Verifies a signed SUIT envelope (see the top of this file).
[[nodiscard]] inline Result<ManifestInfo> verify_manifest(std::span<const std::uint8_t> envelope,
                                                          const Trust& trust, Crypto& crypto,
                                                          const Limits& limits = {}) noexcept {
    detail::Verifier verifier{trust, crypto, limits};
    if (const Error e = verifier.envelope(envelope); e != Error::none) return e;
    return verifier.info();
}

/// Checks an image as its blocks arrive, in order (RIOT's _storage_helper and image-match).
class ImageCheck {
public:
    ImageCheck(const ManifestInfo& info, Crypto& crypto) noexcept
        : crypto_(crypto), size_(info.image_size), digest_(info.image_digest) {
        crypto_.sha256_init();
    }

    /// The next block; more bytes than the manifest's image size is an error.
    Error update(std::span<const std::uint8_t> block) noexcept {
        if (failed_ || block.size() > size_ - received_) {
            failed_ = true;
            return Error::image_size;
        }
        crypto_.sha256_update(block);
        received_ += static_cast<std::uint32_t>(block.size());
        return Error::none;
    }

    /// After the last block: the size must be exact and the SHA-256 equal to the manifest's.
    Error finish() noexcept {
        if (failed_ || received_ != size_) return Error::image_size;
        Digest digest{};
        crypto_.sha256_final(digest);
        return digest == digest_ ? Error::none : Error::image_digest;
    }

    [[nodiscard]] std::uint32_t received() const noexcept { return received_; }

private:
    Crypto& crypto_;
    std::uint32_t size_ = 0;
    std::uint32_t received_ = 0;
    Digest digest_{};
    bool failed_ = false;
};

/// The same for an image that is already complete.
[[nodiscard]] inline Error check_image(const ManifestInfo& info, std::span<const std::uint8_t> image,
                                       Crypto& crypto) noexcept {
    ImageCheck check{info, crypto};
    if (const Error e = check.update(image); e != Error::none) return e;
    return check.finish();
}

}  // namespace ubpf::suit

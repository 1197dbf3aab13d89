// SPDX-License-Identifier: MIT
// The device service's wire formats (docs/wire-formats.md): decoders for the firmware and
// encoders for host tools, byte for byte as the seed's tools speak them.
//
//   VmConfig            the seed's 16-bit configuration word (engine, slot, format, helper checks)
//   ExecuteRequest      "%04x" config word + "%02x" per allowed helper id
//   PullRequest         "ip|manifest|netif|config|helpers|erase" (6 fields)
//   StopRequest         decimal slot number (new: the seed could not stop a program)
//   responses           {"result": n}, the benchmark JSON, the worker list, the status JSON (new)
//
// Decoders take the raw CoAP payload (not NUL-terminated), never read past it and report every
// malformed input as a specific Errc. Encoders write into a caller's buffer and return the
// length, or 0 when it does not fit. No heap, no exceptions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../error.hpp"
#include "../helpers.hpp"
#include "../image.hpp"

namespace ubpf::service {

/// CoAP response codes (class << 5 | detail) and content formats the service answers with.
namespace coap {
inline constexpr std::uint8_t kChanged = 2 << 5 | 4;             ///< 2.04
inline constexpr std::uint8_t kContent = 2 << 5 | 5;             ///< 2.05
inline constexpr std::uint8_t kBadRequest = 4 << 5 | 0;          ///< 4.00
inline constexpr std::uint8_t kNotFound = 4 << 5 | 4;            ///< 4.04
inline constexpr std::uint8_t kConflict = 4 << 5 | 9;            ///< 4.09
inline constexpr std::uint8_t kEntityTooLarge = 4 << 5 | 13;     ///< 4.13
inline constexpr std::uint8_t kInternalError = 5 << 5 | 0;       ///< 5.00
inline constexpr std::uint8_t kNotImplemented = 5 << 5 | 1;      ///< 5.01
inline constexpr std::uint8_t kServiceUnavailable = 5 << 5 | 3;  ///< 5.03
inline constexpr std::uint16_t kFormatText = 0;
inline constexpr std::uint16_t kFormatJson = 50;
}  // namespace coap

// Every way a request can fail: name, CoAP code of the error response, short text.
// clang-format off
#define UBPF_SERVICE_ERRORS(X)                                                                        \
    X(none,                    kChanged,            "ok")                                             \
    /* decoding */                                                                                    \
    X(empty_payload,           kBadRequest,         "payload is empty")                               \
    X(payload_too_long,        kEntityTooLarge,     "payload is longer than any valid request")       \
    X(bad_hex_digit,           kBadRequest,         "character is not a hex digit")                   \
    X(config_too_short,        kBadRequest,         "configuration word needs 4 hex digits")          \
    X(config_too_long,         kBadRequest,         "configuration word has more than 4 hex digits")  \
    X(config_reserved_bits,    kBadRequest,         "configuration word sets reserved bits 12-15")    \
    X(odd_helper_list,         kBadRequest,         "helper list is not whole bytes (2 hex digits each)") \
    X(too_many_helpers,        kEntityTooLarge,     "helper list is longer than the device accepts")  \
    X(pull_field_count,        kBadRequest,         "pull request needs exactly 6 '|'-separated fields") \
    X(pull_bad_address,        kBadRequest,         "pull request address is malformed")              \
    X(pull_bad_manifest,       kBadRequest,         "pull request manifest name is empty or malformed") \
    X(pull_bad_netif,          kBadRequest,         "pull request interface is not a decimal number") \
    X(pull_bad_erase,          kBadRequest,         "pull request erase flag is not 0 or 1")          \
    X(url_too_long,            kEntityTooLarge,     "manifest URL does not fit the device's buffer")  \
    X(bad_slot_number,         kBadRequest,         "slot is not a decimal number")                   \
    X(bad_json,                kBadRequest,         "response is not the expected JSON")              \
    /* the service */                                                                                 \
    X(slot_out_of_range,       kBadRequest,         "slot number is larger than the device has")      \
    X(slot_empty,              kNotFound,           "slot holds no program")                          \
    X(slot_occupied,           kConflict,           "slot holds a program; set the erase flag to replace it") \
    X(slot_running,            kConflict,           "slot is running a program")                      \
    X(pull_busy,               kServiceUnavailable, "another pull is in progress")                    \
    X(no_pull_pending,         kBadRequest,         "no pull is in progress")                         \
    X(fetch_failed,            kBadRequest,         "SUIT fetch or manifest verification failed")     \
    X(image_too_large,         kEntityTooLarge,     "image is larger than a slot")                    \
    X(load_failed,             kBadRequest,         "image rejected by the loader")                   \
    X(verify_failed,           kBadRequest,         "program rejected by the verifier")               \
    X(no_helper_list,          kBadRequest,         "helper list source is the image, but the image has none") \
    X(no_free_worker,          kServiceUnavailable, "no free worker")                                 \
    X(busy,                    kServiceUnavailable, "device is busy with another request")            \
    X(worker_start_failed,     kInternalError,      "worker could not be started")                    \
    X(not_running,             kBadRequest,         "slot is not running a long-running program")     \
    X(jit_unavailable,         kNotImplemented,     "device cannot run JIT code")                     \
    X(jit_not_compiled,        kBadRequest,         "no JIT code to reuse; ask for compilation")      \
    X(jit_failed,              kInternalError,      "JIT compilation failed")                         \
    X(program_failed,          kInternalError,      "program failed")                                 \
    X(stopped,                 kInternalError,      "program was stopped")                            \
    X(bad_pdu_length,          kInternalError,      "program returned a PDU length outside its buffer") \
    X(buffer_too_small,        kInternalError,      "response does not fit the buffer")
// clang-format on

enum class Errc : std::uint8_t {
#define UBPF_SERVICE_ENUM(name, code, text) name,
    UBPF_SERVICE_ERRORS(UBPF_SERVICE_ENUM)
#undef UBPF_SERVICE_ENUM
};

[[nodiscard]] constexpr std::string_view message(Errc e) noexcept {
    switch (e) {
#define UBPF_SERVICE_TEXT(name, code, text) \
    case Errc::name:                        \
        return text;
        UBPF_SERVICE_ERRORS(UBPF_SERVICE_TEXT)
#undef UBPF_SERVICE_TEXT
    }
    return "unknown error";
}

[[nodiscard]] constexpr std::string_view name(Errc e) noexcept {
    switch (e) {
#define UBPF_SERVICE_NAME(name, code, text) \
    case Errc::name:                        \
        return #name;
        UBPF_SERVICE_ERRORS(UBPF_SERVICE_NAME)
#undef UBPF_SERVICE_NAME
    }
    return "unknown";
}

/// The CoAP code of the error response for `e`.
[[nodiscard]] constexpr std::uint8_t coap_code(Errc e) noexcept {
    switch (e) {
#define UBPF_SERVICE_CODE(name, code, text) \
    case Errc::name:                        \
        return coap::code;
        UBPF_SERVICE_ERRORS(UBPF_SERVICE_CODE)
#undef UBPF_SERVICE_CODE
    }
    return coap::kInternalError;
}

/// A service error, with the core error behind it (loader, verifier, program) where one exists.
struct Failure {
    Errc code = Errc::none;
    Error cause{};
    friend constexpr bool operator==(const Failure&, const Failure&) = default;
};

/// A value or a Failure (the core's Result carries core errors only).
template <class T>
class [[nodiscard]] Expected {
public:
    constexpr Expected(const T& value) noexcept : value_(value) {}                       // NOLINT: implicit
    constexpr Expected(Errc code, Error cause = {}) noexcept : failure_{code, cause} {}  // NOLINT
    constexpr Expected(Failure f) noexcept : failure_(f) {}                              // NOLINT

    [[nodiscard]] constexpr bool ok() const noexcept { return failure_.code == Errc::none; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    constexpr const T& operator*() const noexcept { return value_; }
    constexpr const T* operator->() const noexcept { return &value_; }
    [[nodiscard]] constexpr Failure failure() const noexcept { return failure_; }
    [[nodiscard]] constexpr Errc error() const noexcept { return failure_.code; }

private:
    T value_{};
    Failure failure_{};
};

// ---------------------------------------------------------------------------------------------
// The 16-bit configuration word (the seed's VMConfiguration::encode).
// ---------------------------------------------------------------------------------------------

/// Bit 0: which VM the seed ran. This VM runs both kinds with its own interpreter.
enum class VmTarget : std::uint8_t { rbpf = 0, femto_container = 1 };
/// Bits 7-8: when the helper allow-list is checked (the seed's HelperAccessVerification).
enum class HelperCheck : std::uint8_t { ahead_of_time = 0, load_time = 1, pre_flight = 2, runtime = 3 };
/// Bit 9: where the allow-list comes from (the seed's HelperAccessListSource).
enum class HelperSource : std::uint8_t { request = 0, binary_metadata = 1 };
/// The endpoint an execution request came in on.
enum class Model : std::uint8_t { short_lived, with_coap_packet, long_running };

struct VmConfig {
    VmTarget target = VmTarget::rbpf;
    std::uint8_t slot = 0;  ///< 0..15
    Format format = Format::text;
    HelperCheck check = HelperCheck::ahead_of_time;
    HelperSource source = HelperSource::request;
    bool jit = false;          ///< run JIT code (in a pull request: the program is meant for the JIT)
    bool jit_compile = false;  ///< compile before running; false reuses the slot's JIT code

    [[nodiscard]] constexpr std::uint16_t encode() const noexcept {
        return static_cast<std::uint16_t>(
            static_cast<unsigned>(target) | (slot & 0xfu) << 1 | static_cast<unsigned>(format) << 5 |
            static_cast<unsigned>(check) << 7 | static_cast<unsigned>(source) << 9 | (jit ? 1u : 0u) << 10 |
            (jit_compile ? 1u : 0u) << 11);
    }
    /// Every combination of bits 0-11 is meaningful; bits 12-15 must be zero.
    [[nodiscard]] static constexpr Expected<VmConfig> decode(std::uint16_t word) noexcept {
        if (word >> 12 != 0) return Errc::config_reserved_bits;
        VmConfig c;
        c.target = static_cast<VmTarget>(word & 1u);
        c.slot = static_cast<std::uint8_t>(word >> 1 & 0xfu);
        c.format = static_cast<Format>(word >> 5 & 3u);
        c.check = static_cast<HelperCheck>(word >> 7 & 3u);
        c.source = static_cast<HelperSource>(word >> 9 & 1u);
        c.jit = (word >> 10 & 1u) != 0;
        c.jit_compile = (word >> 11 & 1u) != 0;
        return c;
    }
    friend constexpr bool operator==(const VmConfig&, const VmConfig&) = default;
};

/// Helper ids as the request lists them (one byte each, order and repeats kept).
struct HelperList {
    /// The seed measured 110 payload characters as its limit (53 ids); room for more.
    static constexpr std::size_t kCapacity = 64;
    std::array<std::uint8_t, kCapacity> ids{};
    std::size_t count = 0;

    [[nodiscard]] constexpr std::span<const std::uint8_t> view() const noexcept {
        return {ids.data(), count};
    }
    /// The ids as a policy: exactly these, nothing else (an empty list allows no helper).
    [[nodiscard]] constexpr HelperPolicy policy() const noexcept { return HelperPolicy::only(view()); }
    constexpr bool push(std::uint8_t id) noexcept {
        if (count == kCapacity) return false;
        ids[count++] = id;
        return true;
    }
    friend constexpr bool operator==(const HelperList& a, const HelperList& b) noexcept {
        if (a.count != b.count) return false;
        for (std::size_t i = 0; i < a.count; ++i)
            if (a.ids[i] != b.ids[i]) return false;
        return true;
    }
};

struct ExecuteRequest {
    VmConfig config{};
    HelperList helpers{};
    friend constexpr bool operator==(const ExecuteRequest&, const ExecuteRequest&) = default;
};

struct PullRequest {
    /// The address field as sent: the seed's IPv6 without ':' ("fe80" + 4-digit groups), or
    /// (extension) a literal IPv6 address with ':'.
    std::string_view address;
    /// A file name under the host's CoAP root, or (extension) a whole "coap://" URL.
    std::string_view manifest;
    std::uint32_t netif = 0;  ///< the host interface's zone index; 0 adds no zone
    VmConfig config{};
    HelperList helpers{};
    bool erase = false;
};

namespace detail {

constexpr int hex_value(char ch) noexcept {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}
inline constexpr char kHexDigits[] = "0123456789abcdef";

inline std::string_view as_text(std::span<const std::uint8_t> payload) noexcept {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
}

/// Helper ids from pairs of hex digits.
constexpr Expected<HelperList> decode_helpers(std::string_view hex) noexcept {
    if (hex.size() % 2 != 0) return Errc::odd_helper_list;
    HelperList list;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_value(hex[i]);
        const int lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) return Errc::bad_hex_digit;
        if (!list.push(static_cast<std::uint8_t>(hi << 4 | lo))) return Errc::too_many_helpers;
    }
    return list;
}

/// 1..4 hex digits (the pull request's "{:x}") or exactly 4 (`exact`, the execute request).
constexpr Expected<VmConfig> decode_config(std::string_view hex, bool exact) noexcept {
    if (hex.empty() || (exact && hex.size() < 4)) return Errc::config_too_short;
    if (hex.size() > 4) return Errc::config_too_long;
    unsigned word = 0;
    for (char ch : hex) {
        const int v = hex_value(ch);
        if (v < 0) return Errc::bad_hex_digit;
        word = word << 4 | static_cast<unsigned>(v);
    }
    return VmConfig::decode(static_cast<std::uint16_t>(word));
}

/// A decimal number without sign, leading '+' or spaces; at most `max`.
constexpr bool decimal(std::string_view s, std::uint32_t max, std::uint32_t& out) noexcept {
    if (s.empty() || s.size() > 10) return false;
    std::uint64_t v = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return false;
        v = v * 10 + static_cast<unsigned>(ch - '0');
    }
    if (v > max) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
}

/// Appends text to a fixed buffer; remembers when it ran out of room.
class Writer {
public:
    constexpr explicit Writer(std::span<char> out) noexcept : out_(out) {}
    constexpr Writer& put(std::string_view s) noexcept {
        for (char ch : s) put(ch);
        return *this;
    }
    constexpr Writer& put(char ch) noexcept {
        if (n_ < out_.size()) {
            out_[n_] = ch;
        } else {
            full_ = true;
        }
        ++n_;
        return *this;
    }
    constexpr Writer& u64(std::uint64_t v) noexcept {
        char digits[20];
        std::size_t k = 0;
        do {
            digits[k++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (k > 0) put(digits[--k]);
        return *this;
    }
    constexpr Writer& i64(std::int64_t v) noexcept {
        if (v < 0) {
            put('-');
            return u64(~static_cast<std::uint64_t>(v) + 1);  // also right for INT64_MIN
        }
        return u64(static_cast<std::uint64_t>(v));
    }
    constexpr Writer& hex(unsigned v, unsigned digits) noexcept {
        while (digits-- > 0) put(kHexDigits[v >> (4 * digits) & 0xfu]);
        return *this;
    }
    /// The length written, or 0 when it did not fit.
    [[nodiscard]] constexpr std::size_t done() const noexcept { return full_ ? 0 : n_; }

private:
    std::span<char> out_;
    std::size_t n_ = 0;
    bool full_ = false;
};

/// Skips JSON whitespace.
constexpr void skip_space(std::string_view s, std::size_t& i) noexcept {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
}
constexpr bool expect(std::string_view s, std::size_t& i, std::string_view token) noexcept {
    skip_space(s, i);
    if (s.substr(i, token.size()) != token) return false;
    i += token.size();
    return true;
}
constexpr bool json_int(std::string_view s, std::size_t& i, std::int64_t& out) noexcept {
    skip_space(s, i);
    bool negative = false;
    if (i < s.size() && s[i] == '-') {
        negative = true;
        ++i;
    }
    const std::size_t first = i;
    std::uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        const auto d = static_cast<unsigned>(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
        ++i;
    }
    if (i == first || i - first > 20) return false;
    if (negative ? v > static_cast<std::uint64_t>(INT64_MAX) + 1 : v > static_cast<std::uint64_t>(INT64_MAX))
        return false;
    out = negative ? static_cast<std::int64_t>(~v + 1) : static_cast<std::int64_t>(v);
    return true;
}

}  // namespace detail

/// The text of a failure: the error's message, then the core error's message (unless it says
/// the same, as for a stop) and pc when there is one. Its length, or 0 when `out` is too small.
[[nodiscard]] constexpr std::size_t describe(const Failure& f, std::span<char> out) noexcept {
    detail::Writer w(out);
    w.put(message(f.code));
    if (f.cause.code != ErrorCode::none) {
        if (!(f.code == Errc::stopped && f.cause.code == ErrorCode::stopped))
            w.put(": ").put(f.cause.message());
        w.put(" (pc ").u64(f.cause.pc).put(')');
    }
    return w.done();
}

// ---------------------------------------------------------------------------------------------
// Requests.
// ---------------------------------------------------------------------------------------------

/// Longest execute request: the word and a full helper list.
inline constexpr std::size_t kMaxExecuteLength = 4 + 2 * HelperList::kCapacity;

/// Decodes an execute request: exactly 4 hex digits of configuration word, then 2 per helper id.
[[nodiscard]] constexpr Expected<ExecuteRequest> decode_execute(std::string_view text) noexcept {
    if (text.empty()) return Errc::empty_payload;
    if (text.size() > kMaxExecuteLength) return Errc::payload_too_long;
    const Expected<VmConfig> config = detail::decode_config(text.substr(0, 4), true);
    if (!config) return config.failure();
    const Expected<HelperList> helpers = detail::decode_helpers(text.substr(4));
    if (!helpers) return helpers.failure();
    return ExecuteRequest{*config, *helpers};
}
[[nodiscard]] inline Expected<ExecuteRequest> decode_execute(std::span<const std::uint8_t> payload) noexcept {
    return decode_execute(detail::as_text(payload));
}

/// "%04x" of the word, then "%02x" per id; 0 when `out` is too small.
[[nodiscard]] constexpr std::size_t encode_execute(const ExecuteRequest& r, std::span<char> out) noexcept {
    detail::Writer w(out);
    w.hex(r.config.encode(), 4);
    for (std::uint8_t id : r.helpers.view()) w.hex(id, 2);
    return w.done();
}

/// The longest pull request accepted (the seed's gcoap buffer is 128 bytes in all).
inline constexpr std::size_t kMaxPullLength = 512;

/// Decodes "address|manifest|netif|config|helpers|erase". The views point into `text`.
[[nodiscard]] constexpr Expected<PullRequest> decode_pull(std::string_view text) noexcept {
    if (text.empty()) return Errc::empty_payload;
    if (text.size() > kMaxPullLength) return Errc::payload_too_long;
    std::array<std::string_view, 6> field{};
    std::size_t count = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '|') {
            if (count == field.size()) return Errc::pull_field_count;
            field[count++] = text.substr(start, i - start);
            start = i + 1;
        }
    }
    if (count != field.size()) return Errc::pull_field_count;

    PullRequest r;
    r.address = field[0];
    r.manifest = field[1];
    const bool full_url = r.manifest.starts_with("coap://") || r.manifest.starts_with("coaps://");
    if (!full_url) {
        // The seed's form: hex digits in 4-digit groups, at least "fe80" and one more group.
        // A ':' marks the extension: a literal IPv6 address.
        const bool literal = r.address.find(':') != std::string_view::npos;
        if (r.address.empty() || (!literal && (r.address.size() % 4 != 0 || r.address.size() < 8)))
            return Errc::pull_bad_address;
        if (r.address.size() > 39) return Errc::pull_bad_address;
        for (char ch : r.address)
            if (detail::hex_value(ch) < 0 && !(literal && (ch == ':' || ch == '.')))
                return Errc::pull_bad_address;
    }
    if (r.manifest.empty()) return Errc::pull_bad_manifest;
    for (char ch : r.manifest)
        if (ch <= ' ' || ch > '~') return Errc::pull_bad_manifest;
    if (!detail::decimal(field[2], 0xffff, r.netif)) return Errc::pull_bad_netif;
    const Expected<VmConfig> config = detail::decode_config(field[3], false);
    if (!config) return config.failure();
    r.config = *config;
    const Expected<HelperList> helpers = detail::decode_helpers(field[4]);
    if (!helpers) return helpers.failure();
    r.helpers = *helpers;
    if (field[5] != "0" && field[5] != "1") return Errc::pull_bad_erase;
    r.erase = field[5] == "1";
    return r;
}
[[nodiscard]] inline Expected<PullRequest> decode_pull(std::span<const std::uint8_t> payload) noexcept {
    return decode_pull(detail::as_text(payload));
}

/// The seed's encoding: the config word in lowercase hex without padding, erase as 0/1.
[[nodiscard]] constexpr std::size_t encode_pull(const PullRequest& r, std::span<char> out) noexcept {
    detail::Writer w(out);
    w.put(r.address).put('|').put(r.manifest).put('|').u64(r.netif).put('|');
    const unsigned word = r.config.encode();
    unsigned digits = 1;
    while (digits < 4 && (word >> (4 * digits)) != 0) ++digits;
    w.hex(word, digits).put('|');
    for (std::uint8_t id : r.helpers.view()) w.hex(id, 2);
    w.put('|').put(r.erase ? '1' : '0');
    return w.done();
}

/// The manifest URL the device fetches: "coap://[fe80::g1:g2:...%netif]/manifest" as the seed
/// builds it (the zone only when netif is not 0), or the manifest itself when it is a URL.
/// url_too_long when it does not fit `out` (the seed overflowed a 70-byte buffer instead).
[[nodiscard]] constexpr Expected<std::size_t> manifest_url(const PullRequest& r,
                                                           std::span<char> out) noexcept {
    detail::Writer w(out);
    if (r.manifest.starts_with("coap://") || r.manifest.starts_with("coaps://")) {
        w.put(r.manifest);
    } else {
        w.put("coap://[");
        if (r.address.find(':') != std::string_view::npos) {
            w.put(r.address);
        } else {
            w.put(r.address.substr(0, 4)).put("::");
            for (std::size_t i = 4; i < r.address.size(); i += 4) {
                if (i > 4) w.put(':');
                w.put(r.address.substr(i, 4));
            }
        }
        if (r.netif != 0) w.put('%').u64(r.netif);
        w.put("]/").put(r.manifest);
    }
    const std::size_t n = w.done();
    if (n == 0 || n >= out.size()) return Errc::url_too_long;  // room kept for a terminating NUL
    out[n] = '\0';
    return n;
}

/// The address field of a pull request for an IPv6 address the seed's way (its ':' removed).
/// Only "fe80::a:b:c:d" with 4-digit groups survives the seed's decoding; other addresses are
/// sent literally (the extension).
[[nodiscard]] constexpr std::size_t seed_address(std::string_view ipv6, std::span<char> out) noexcept {
    detail::Writer w(out);
    for (char ch : ipv6)
        if (ch != ':') w.put(ch);
    return w.done();
}

/// The stop request (new): the slot number in decimal.
[[nodiscard]] constexpr Expected<std::uint8_t> decode_stop(std::string_view text) noexcept {
    if (text.empty()) return Errc::empty_payload;
    std::uint32_t slot = 0;
    if (!detail::decimal(text, 255, slot)) return Errc::bad_slot_number;
    return static_cast<std::uint8_t>(slot);
}
[[nodiscard]] inline Expected<std::uint8_t> decode_stop(std::span<const std::uint8_t> payload) noexcept {
    return decode_stop(detail::as_text(payload));
}
[[nodiscard]] constexpr std::size_t encode_stop(std::uint8_t slot, std::span<char> out) noexcept {
    return detail::Writer(out).u64(slot).done();
}

// ---------------------------------------------------------------------------------------------
// Responses.
// ---------------------------------------------------------------------------------------------

/// {"result": n} with r0 as a signed 64-bit number (the seed's i64).
[[nodiscard]] constexpr std::size_t encode_result(std::int64_t result, std::span<char> out) noexcept {
    return detail::Writer(out).put("{\"result\": ").i64(result).put('}').done();
}
[[nodiscard]] constexpr Expected<std::int64_t> decode_result(std::string_view json) noexcept {
    std::size_t i = 0;
    std::int64_t v = 0;
    if (!detail::expect(json, i, "{") || !detail::expect(json, i, "\"result\"") ||
        !detail::expect(json, i, ":") || !detail::json_int(json, i, v) || !detail::expect(json, i, "}"))
        return Errc::bad_json;
    detail::skip_space(json, i);
    if (i != json.size()) return Errc::bad_json;
    return v;
}

/// The benchmark endpoint's timings (µs) and program length (bytes).
struct Timings {
    std::int64_t total = 0;
    std::int64_t load = 0;   ///< preparing the engine: JIT compilation, 0 for the interpreter
    std::int64_t verif = 0;  ///< verification
    std::int64_t exec = 0;   ///< the run
    std::int64_t prog = 0;   ///< program length in bytes
    std::int64_t result = 0;
    friend constexpr bool operator==(const Timings&, const Timings&) = default;
};

/// The seed's benchmark JSON, byte for byte (it has no space between "exec": E, and "prog").
[[nodiscard]] constexpr std::size_t encode_timings(const Timings& t, std::span<char> out) noexcept {
    detail::Writer w(out);
    w.put("{\"total\": ").i64(t.total).put(", \"load\": ").i64(t.load).put(", \"verif\": ").i64(t.verif);
    w.put(", \"exec\": ")
        .i64(t.exec)
        .put(",\"prog\": ")
        .i64(t.prog)
        .put(", \"result\": ")
        .i64(t.result)
        .put('}');
    return w.done();
}
[[nodiscard]] constexpr Expected<Timings> decode_timings(std::string_view json) noexcept {
    Timings t;
    std::int64_t* fields[] = {&t.total, &t.load, &t.verif, &t.exec, &t.prog, &t.result};
    constexpr std::string_view keys[] = {"\"total\"", "\"load\"", "\"verif\"",
                                         "\"exec\"",  "\"prog\"", "\"result\""};
    std::size_t i = 0;
    if (!detail::expect(json, i, "{")) return Errc::bad_json;
    for (std::size_t k = 0; k < 6; ++k) {
        if (k > 0 && !detail::expect(json, i, ",")) return Errc::bad_json;
        if (!detail::expect(json, i, keys[k]) || !detail::expect(json, i, ":") ||
            !detail::json_int(json, i, *fields[k]))
            return Errc::bad_json;
    }
    if (!detail::expect(json, i, "}")) return Errc::bad_json;
    detail::skip_space(json, i);
    if (i != json.size()) return Errc::bad_json;
    return t;
}

/// GET /running_vm: the seed's Debug print of the worker-busy flags, "[true, false]".
[[nodiscard]] constexpr std::size_t encode_running(std::span<const bool> busy, std::span<char> out) noexcept {
    detail::Writer w(out);
    w.put('[');
    for (std::size_t i = 0; i < busy.size(); ++i) {
        if (i > 0) w.put(", ");
        w.put(busy[i] ? "true" : "false");
    }
    w.put(']');
    return w.done();
}

enum class SlotState : std::uint8_t { free, occupied, running };
enum class PullState : std::uint8_t { idle, pending, loaded, failed };

[[nodiscard]] constexpr char slot_letter(SlotState s) noexcept {
    return s == SlotState::free ? 'F' : s == SlotState::occupied ? 'O' : 'R';
}
[[nodiscard]] constexpr std::string_view pull_name(PullState p) noexcept {
    switch (p) {
        case PullState::idle:
            return "idle";
        case PullState::pending:
            return "pending";
        case PullState::loaded:
            return "loaded";
        case PullState::failed:
            return "failed";
    }
    return "?";
}

/// The most slots and workers a status response describes.
inline constexpr std::size_t kMaxStatusEntries = 16;

/// GET /status (new). Small enough for the seed's 128-byte gcoap buffer with a few slots:
/// {"workers": [-1, 0], "slots": "OR", "pull": "failed", "error": "verify_failed"}
/// workers: the slot each worker runs, -1 when idle; slots: F(ree) O(ccupied) R(unning) each;
/// pull: the last pull's state, and "error" (only when it failed) the error's name.
struct Status {
    std::array<std::int8_t, kMaxStatusEntries> workers{};
    std::size_t worker_count = 0;
    std::array<SlotState, kMaxStatusEntries> slots{};
    std::size_t slot_count = 0;
    PullState pull = PullState::idle;
    Errc pull_error = Errc::none;
    friend constexpr bool operator==(const Status&, const Status&) = default;
};

[[nodiscard]] constexpr std::size_t encode_status(const Status& s, std::span<char> out) noexcept {
    detail::Writer w(out);
    w.put("{\"workers\": [");
    for (std::size_t i = 0; i < s.worker_count; ++i) {
        if (i > 0) w.put(", ");
        w.i64(s.workers[i]);
    }
    w.put("], \"slots\": \"");
    for (std::size_t i = 0; i < s.slot_count; ++i) w.put(slot_letter(s.slots[i]));
    w.put("\", \"pull\": \"").put(pull_name(s.pull)).put('"');
    if (s.pull == PullState::failed) w.put(", \"error\": \"").put(name(s.pull_error)).put('"');
    w.put('}');
    return w.done();
}

[[nodiscard]] constexpr Expected<Status> decode_status(std::string_view json) noexcept {
    Status s;
    std::size_t i = 0;
    if (!detail::expect(json, i, "{") || !detail::expect(json, i, "\"workers\"") ||
        !detail::expect(json, i, ":") || !detail::expect(json, i, "["))
        return Errc::bad_json;
    detail::skip_space(json, i);
    if (!detail::expect(json, i, "]")) {
        for (;;) {
            std::int64_t v = 0;
            if (!detail::json_int(json, i, v) || v < -1 || v > 127 || s.worker_count == kMaxStatusEntries)
                return Errc::bad_json;
            s.workers[s.worker_count++] = static_cast<std::int8_t>(v);
            if (detail::expect(json, i, "]")) break;
            if (!detail::expect(json, i, ",")) return Errc::bad_json;
        }
    }
    if (!detail::expect(json, i, ",") || !detail::expect(json, i, "\"slots\"") ||
        !detail::expect(json, i, ":") || !detail::expect(json, i, "\""))
        return Errc::bad_json;
    for (; i < json.size() && json[i] != '"'; ++i) {
        if (s.slot_count == kMaxStatusEntries) return Errc::bad_json;
        const char ch = json[i];
        if (ch != 'F' && ch != 'O' && ch != 'R') return Errc::bad_json;
        s.slots[s.slot_count++] = ch == 'F'   ? SlotState::free
                                  : ch == 'O' ? SlotState::occupied
                                              : SlotState::running;
    }
    if (!detail::expect(json, i, "\"") || !detail::expect(json, i, ",") ||
        !detail::expect(json, i, "\"pull\"") || !detail::expect(json, i, ":") ||
        !detail::expect(json, i, "\""))
        return Errc::bad_json;
    bool known = false;
    for (PullState p : {PullState::idle, PullState::pending, PullState::loaded, PullState::failed}) {
        const std::string_view n = pull_name(p);
        if (json.substr(i, n.size()) == n && i + n.size() < json.size() && json[i + n.size()] == '"') {
            s.pull = p;
            i += n.size() + 1;
            known = true;
            break;
        }
    }
    if (!known) return Errc::bad_json;
    if (s.pull == PullState::failed) {
        if (!detail::expect(json, i, ",") || !detail::expect(json, i, "\"error\"") ||
            !detail::expect(json, i, ":") || !detail::expect(json, i, "\""))
            return Errc::bad_json;
        const std::size_t end = json.find('"', i);
        if (end == std::string_view::npos) return Errc::bad_json;
        const std::string_view error_name = json.substr(i, end - i);
        bool found = false;
        for (unsigned e = 0; e <= static_cast<unsigned>(Errc::buffer_too_small); ++e) {
            if (name(static_cast<Errc>(e)) == error_name) {
                s.pull_error = static_cast<Errc>(e);
                found = true;
            }
        }
        if (!found) return Errc::bad_json;
        i = end + 1;
    }
    if (!detail::expect(json, i, "}")) return Errc::bad_json;
    detail::skip_space(json, i);
    if (i != json.size()) return Errc::bad_json;
    return s;
}

}  // namespace ubpf::service

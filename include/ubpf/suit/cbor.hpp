// SPDX-License-Identifier: MIT
// A small CBOR (RFC 8949) reader for SUIT manifests: no heap, no exceptions, every length is
// checked against the buffer before a byte is read, so no input can make it read outside.
//   - Definite lengths only: indefinite-length strings and containers (and the "break" byte)
//     are rejected with Error::indefinite, since SUIT and COSE never need them.
//   - Heads are not required to be minimal (RIOT's nanocbor accepts non-minimal heads too).
//   - skip() and item() walk a whole nested item without recursion, up to a depth limit
//     (tags count as a level, so a chain of tags is bounded as well).
// Every getter either succeeds and advances, or fails and leaves the reader where it was.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ubpf::cbor {

enum class Major : std::uint8_t {
    uint = 0,
    nint = 1,
    bstr = 2,
    tstr = 3,
    array = 4,
    map = 5,
    tag = 6,
    simple = 7
};

enum class Error : std::uint8_t {
    none,
    truncated,     ///< a head, string or container runs past the end of the buffer
    indefinite,    ///< indefinite length (additional info 31) or a stray break byte
    reserved,      ///< additional information 28..30 (reserved by RFC 8949)
    too_deep,      ///< nesting deeper than the reader's limit
    bad_simple,    ///< two-byte simple value below 32 (not well-formed)
    wrong_type,    ///< the item is not of the type asked for
    out_of_range,  ///< an integer does not fit the type asked for
};

[[nodiscard]] constexpr std::string_view message(Error e) noexcept {
    switch (e) {
        case Error::none:
            return "no error";
        case Error::truncated:
            return "CBOR item runs past the end of its buffer";
        case Error::indefinite:
            return "indefinite-length CBOR is not supported";
        case Error::reserved:
            return "reserved CBOR additional information (28..30)";
        case Error::too_deep:
            return "CBOR nesting deeper than the limit";
        case Error::bad_simple:
            return "two-byte CBOR simple value below 32";
        case Error::wrong_type:
            return "CBOR item has an unexpected type";
        case Error::out_of_range:
            return "CBOR integer out of range";
    }
    return "unknown CBOR error";
}

/// The decoded head of one item: major type, additional information and argument.
struct Head {
    Major major = Major::uint;
    std::uint8_t info = 0;
    std::uint64_t arg = 0;  ///< value, length, count, tag number or simple value
    std::size_t size = 0;   ///< bytes taken by the head itself
};

inline constexpr unsigned kDefaultMaxDepth = 16;
inline constexpr unsigned kMaxDepthLimit = 32;  ///< larger limits are clamped to this
inline constexpr std::uint8_t kSimpleFalse = 20;
inline constexpr std::uint8_t kSimpleTrue = 21;
inline constexpr std::uint8_t kSimpleNull = 22;

class Reader {
public:
    constexpr explicit Reader(std::span<const std::uint8_t> data,
                              unsigned max_depth = kDefaultMaxDepth) noexcept
        : data_(data), max_depth_(max_depth) {}

    [[nodiscard]] constexpr bool at_end() const noexcept { return pos_ >= data_.size(); }
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return pos_; }
    [[nodiscard]] constexpr std::span<const std::uint8_t> rest() const noexcept {
        return data_.subspan(pos_);
    }

    /// Decodes the head at the current position without advancing. Strings and containers get
    /// a first plausibility check: their payload or element count must fit what is left.
    constexpr Error peek(Head& head) const noexcept { return decode_head(pos_, head); }

    constexpr Error get_uint(std::uint64_t& value) noexcept {
        Head h;
        if (const Error e = expect(Major::uint, h); e != Error::none) return e;
        value = h.arg;
        pos_ += h.size;
        return Error::none;
    }

    constexpr Error get_uint32(std::uint32_t& value) noexcept {
        Head h;
        if (const Error e = expect(Major::uint, h); e != Error::none) return e;
        if (h.arg > 0xffffffffu) return Error::out_of_range;
        value = static_cast<std::uint32_t>(h.arg);
        pos_ += h.size;
        return Error::none;
    }

    /// An unsigned or negative integer that fits int32 (what RIOT's nanocbor_get_int32 takes).
    constexpr Error get_int32(std::int32_t& value) noexcept {
        Head h;
        if (const Error e = decode_head(pos_, h); e != Error::none) return e;
        if (h.major == Major::uint) {
            if (h.arg > 0x7fffffffu) return Error::out_of_range;
            value = static_cast<std::int32_t>(h.arg);
        } else if (h.major == Major::nint) {
            if (h.arg > 0x7fffffffu) return Error::out_of_range;
            value = -1 - static_cast<std::int32_t>(h.arg);
        } else {
            return Error::wrong_type;
        }
        pos_ += h.size;
        return Error::none;
    }

    constexpr Error get_bstr(std::span<const std::uint8_t>& value) noexcept {
        return get_string(Major::bstr, value);
    }

    constexpr Error get_tstr(std::string_view& value) noexcept {
        std::span<const std::uint8_t> bytes;
        if (const Error e = get_string(Major::tstr, bytes); e != Error::none) return e;
        // char may alias any object; the text stays inside the buffer.
        value = bytes.empty() ? std::string_view{}
                              : std::string_view{reinterpret_cast<const char*>(bytes.data()), bytes.size()};
        return Error::none;
    }

    /// Enters an array: `count` elements follow.
    constexpr Error get_array(std::size_t& count) noexcept { return get_container(Major::array, count); }
    /// Enters a map: `pairs` key/value pairs (2 * pairs items) follow.
    constexpr Error get_map(std::size_t& pairs) noexcept { return get_container(Major::map, pairs); }

    constexpr Error get_tag(std::uint64_t& tag) noexcept {
        Head h;
        if (const Error e = expect(Major::tag, h); e != Error::none) return e;
        tag = h.arg;
        pos_ += h.size;
        return Error::none;
    }

    /// A simple value (false, true, null, undefined, 0..19, 32..255); floats are not simple.
    constexpr Error get_simple(std::uint8_t& value) noexcept {
        Head h;
        if (const Error e = expect(Major::simple, h); e != Error::none) return e;
        if (h.info > 24) return Error::wrong_type;
        value = static_cast<std::uint8_t>(h.arg);
        pos_ += h.size;
        return Error::none;
    }

    constexpr Error get_bool(bool& value) noexcept {
        Reader probe = *this;
        std::uint8_t simple = 0;
        if (const Error e = probe.get_simple(simple); e != Error::none) return e;
        if (simple != kSimpleFalse && simple != kSimpleTrue) return Error::wrong_type;
        value = simple == kSimpleTrue;
        *this = probe;
        return Error::none;
    }

    /// The whole next item, head and nested content, as bytes of the buffer (nanocbor's
    /// "subcbor"); checks it is well-formed and within the depth limit.
    constexpr Error get_item(std::span<const std::uint8_t>& item) noexcept {
        std::size_t end = 0;
        if (const Error e = walk(pos_, end); e != Error::none) return e;
        item = data_.subspan(pos_, end - pos_);
        pos_ = end;
        return Error::none;
    }

    constexpr Error skip() noexcept {
        std::span<const std::uint8_t> ignored;
        return get_item(ignored);
    }

private:
    constexpr Error decode_head(std::size_t at, Head& h) const noexcept {
        if (at >= data_.size()) return Error::truncated;
        const std::uint8_t initial = data_[at];
        h.major = static_cast<Major>(initial >> 5);
        h.info = static_cast<std::uint8_t>(initial & 0x1f);
        std::size_t extra = 0;
        if (h.info < 24) {
            h.arg = h.info;
        } else if (h.info <= 27) {
            extra = std::size_t{1} << (h.info - 24);
            if (data_.size() - at - 1 < extra) return Error::truncated;
            h.arg = 0;
            for (std::size_t i = 0; i < extra; ++i) h.arg = (h.arg << 8) | data_[at + 1 + i];
        } else if (h.info == 31) {
            // Indefinite strings/containers, or a break (major 7); a reserved form otherwise.
            const bool indefinite = h.major == Major::bstr || h.major == Major::tstr ||
                                    h.major == Major::array || h.major == Major::map ||
                                    h.major == Major::simple;
            return indefinite ? Error::indefinite : Error::reserved;
        } else {
            return Error::reserved;
        }
        h.size = 1 + extra;
        if (h.major == Major::simple && h.info == 24 && h.arg < 32) return Error::bad_simple;
        const std::size_t left = data_.size() - at - h.size;
        switch (h.major) {
            case Major::bstr:
            case Major::tstr:
                if (h.arg > left) return Error::truncated;
                break;
            case Major::array:  // every element takes at least one byte
                if (h.arg > left) return Error::truncated;
                break;
            case Major::map:
                if (h.arg > left / 2) return Error::truncated;
                break;
            default:
                break;
        }
        return Error::none;
    }

    constexpr Error expect(Major major, Head& h) const noexcept {
        if (const Error e = decode_head(pos_, h); e != Error::none) return e;
        return h.major == major ? Error::none : Error::wrong_type;
    }

    constexpr Error get_string(Major major, std::span<const std::uint8_t>& value) noexcept {
        Head h;
        if (const Error e = expect(major, h); e != Error::none) return e;
        value = data_.subspan(pos_ + h.size, static_cast<std::size_t>(h.arg));
        pos_ += h.size + static_cast<std::size_t>(h.arg);
        return Error::none;
    }

    constexpr Error get_container(Major major, std::size_t& count) noexcept {
        Head h;
        if (const Error e = expect(major, h); e != Error::none) return e;
        count = static_cast<std::size_t>(h.arg);  // bounded by the buffer size in decode_head
        pos_ += h.size;
        return Error::none;
    }

    /// Finds the end of the item at `at`, iteratively: pending[d] counts the items still to
    /// read at nesting level d.
    constexpr Error walk(std::size_t at, std::size_t& end) const noexcept {
        std::array<std::size_t, kMaxDepthLimit + 1> pending{};  // small: this runs on device stacks
        const unsigned limit = max_depth_ < kMaxDepthLimit ? max_depth_ : kMaxDepthLimit;
        unsigned depth = 0;
        pending[0] = 1;
        std::size_t pos = at;
        for (;;) {
            while (pending[depth] == 0) {
                if (depth == 0) {
                    end = pos;
                    return Error::none;
                }
                --depth;
            }
            --pending[depth];
            Head h;
            if (const Error e = decode_head(pos, h); e != Error::none) return e;
            pos += h.size;
            std::size_t children = 0;  // fits: decode_head bounds counts by the buffer size
            switch (h.major) {
                case Major::bstr:
                case Major::tstr:
                    pos += static_cast<std::size_t>(h.arg);
                    break;
                case Major::array:
                    children = static_cast<std::size_t>(h.arg);
                    break;
                case Major::map:
                    children = 2 * static_cast<std::size_t>(h.arg);
                    break;
                case Major::tag:
                    children = 1;
                    break;
                default:
                    break;
            }
            if (h.major == Major::array || h.major == Major::map || h.major == Major::tag) {
                if (depth + 1 > limit) return Error::too_deep;
                pending[++depth] = children;
            }
        }
    }

    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
    unsigned max_depth_ = kDefaultMaxDepth;
};

}  // namespace ubpf::cbor

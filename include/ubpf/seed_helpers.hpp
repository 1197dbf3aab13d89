// SPDX-License-Identifier: MIT
// The seed's 30 helpers (seed-reference.md §3) with their ids, so that seed programs run
// unchanged: printf, memcpy, strlen, key-value stores, RIOT's fmt, clocks, and the hardware
// ones (GPIO, SAUL, HD44780, keypad, CoAP) through small platform interfaces an adapter fills
// in. Every pointer argument is checked before anything is read or written.
//
// Firmware registers `ubpf::seed::kHelpers` with the VM and passes a `ubpf::seed::Environment`
// as Execution::user; docs/helpers.md shows the wiring.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "helpers.hpp"
#include "memory.hpp"

namespace ubpf::seed {

/// The seed's helper ids (its `HelperFunctionID`), unchanged.
enum class HelperId : std::uint32_t {
    printf = 0x01,
    memcpy = 0x02,
    print_debug = 0x03,
    store_local = 0x10,
    store_global = 0x11,
    fetch_local = 0x12,
    fetch_global = 0x13,
    now_ms = 0x20,
    saul_reg_find_nth = 0x30,
    saul_reg_find_type = 0x31,
    saul_reg_read = 0x32,
    saul_reg_write = 0x33,
    saul_read_temp = 0x34,
    gcoap_resp_init = 0x40,
    coap_opt_finish = 0x41,
    coap_add_format = 0x42,
    coap_get_pdu = 0x43,
    fmt_s16_dfp = 0x50,
    fmt_u32_dec = 0x51,
    strlen = 0x52,
    ztimer_now = 0x60,
    ztimer_periodic_wakeup = 0x61,
    gpio_read_input = 0x70,
    gpio_read_raw = 0x71,
    gpio_write = 0x72,
    hd44780_init = 0x80,
    hd44780_clear = 0x81,
    hd44780_print = 0x82,
    hd44780_set_cursor = 0x83,
    keypad_get_input = 0x84,
};

[[nodiscard]] constexpr std::uint32_t id(HelperId h) noexcept {
    return static_cast<std::uint32_t>(h);
}

// ---------------------------------------------------------------------------------------------
// Platform interfaces. An adapter derives from the ones its board has and overrides what it
// supports; a function left alone reports "not available" and the helper then fails the
// program with helper_failed. None of them is called with a pointer the program gave: the
// helpers copy in and out of checked memory themselves.
// ---------------------------------------------------------------------------------------------

/// Where printf and print_debug write (a UART, RTT, stdout).
class Output {
public:
    virtual void write(const char* text, std::size_t length) noexcept = 0;

protected:
    ~Output() = default;
};

/// Time: ZTIMER_MSEC and ZTIMER_USEC on RIOT.
class Clock {
public:
    virtual std::optional<std::uint32_t> now_ms() noexcept { return std::nullopt; }
    virtual std::optional<std::uint32_t> now_us() noexcept { return std::nullopt; }
    /// ztimer_periodic_wakeup(ZTIMER_USEC, &last_wakeup, period_us): sleeps until
    /// last_wakeup + period_us, then adds period_us to last_wakeup. False: not available.
    virtual bool periodic_wakeup(std::uint32_t& last_wakeup, std::uint32_t period_us) noexcept {
        (void)last_wakeup;
        (void)period_us;
        return false;
    }

protected:
    ~Clock() = default;
};

/// GPIO_PIN(port, pin) access.
class Gpio {
public:
    /// Configures the pin as input, then reads it (gpio_read's value).
    virtual std::optional<std::uint32_t> read_input(std::uint32_t port, std::uint32_t pin) noexcept {
        (void)port;
        (void)pin;
        return std::nullopt;
    }
    /// Reads the pin as it is configured.
    virtual std::optional<std::uint32_t> read_raw(std::uint32_t port, std::uint32_t pin) noexcept {
        (void)port;
        (void)pin;
        return std::nullopt;
    }
    /// Configures the pin as output and writes it; false when it cannot be configured.
    virtual std::optional<bool> write(std::uint32_t port, std::uint32_t pin, std::uint32_t value) noexcept {
        (void)port;
        (void)pin;
        (void)value;
        return std::nullopt;
    }

protected:
    ~Gpio() = default;
};

/// RIOT's phydat_t as programs see it: 8 bytes, value = val * 10^scale.
struct Phydat {
    std::int16_t val[3] = {};
    std::uint8_t unit = 0;
    std::int8_t scale = 0;
};
static_assert(sizeof(Phydat) == 8);

/// The SAUL registry. Programs get a device as a small number the adapter chooses (e.g. its
/// registry position + 1), never a host pointer; 0 means "no device". A program can pass any
/// number back, so read and write must treat an unknown handle as "no such device".
class Saul {
public:
    static constexpr std::uint32_t kNoDevice = 0;

    virtual std::optional<std::uint32_t> find_nth(std::int32_t position) noexcept {
        (void)position;
        return std::nullopt;
    }
    virtual std::optional<std::uint32_t> find_type(std::uint8_t type) noexcept {
        (void)type;
        return std::nullopt;
    }
    /// saul_reg_read's result: the number of values, or a negative errno.
    virtual std::optional<std::int32_t> read(std::uint32_t device, Phydat& out) noexcept {
        (void)device;
        (void)out;
        return std::nullopt;
    }
    /// saul_reg_write's result.
    virtual std::optional<std::int32_t> write(std::uint32_t device, const Phydat& value) noexcept {
        (void)device;
        (void)value;
        return std::nullopt;
    }

protected:
    ~Saul() = default;
};

/// An HD44780 character display. Each function returns false when it is not available.
class Display {
public:
    virtual bool init() noexcept { return false; }
    virtual bool clear() noexcept { return false; }
    virtual bool print(const char* text, std::size_t length) noexcept {
        (void)text;
        (void)length;
        return false;
    }
    /// Row and column as named. The seed passed them swapped to RIOT's
    /// hd44780_set_cursor(dev, col, row); an adapter calls hd44780_set_cursor(dev, column, row).
    virtual bool set_cursor(std::uint8_t row, std::uint8_t column) noexcept {
        (void)row;
        (void)column;
        return false;
    }

protected:
    ~Display() = default;
};

/// The analogue keypad of an LCD shield: one ADC line, a raw sample per key press.
class Keypad {
public:
    /// Initialises ADC line `line` and samples it.
    virtual std::optional<std::uint32_t> sample(std::uint32_t line) noexcept {
        (void)line;
        return std::nullopt;
    }

protected:
    ~Keypad() = default;
};

/// The keys of the seed's keypad helper, from the ADC thresholds it uses.
enum class Key : std::uint32_t { right = 0, up = 1, down = 2, left = 3, none = 4 };

[[nodiscard]] constexpr Key key_for_sample(std::uint32_t sample) noexcept {
    if (sample < 200) return Key::right;
    if (sample < 500) return Key::up;
    if (sample < 700) return Key::down;
    if (sample < 900) return Key::left;
    return Key::none;
}

/// Where a CoAP message's parts are in its buffer, in bytes from the buffer's start.
struct CoapLayout {
    std::size_t token_offset = 0;
    std::size_t payload_offset = 0;
    std::uint16_t payload_len = 0;  ///< after opt_finish: the room left for the payload
    std::uint16_t options_len = 0;
};

/// The response being built for one request (gcoap on RIOT). The buffer is the only memory a
/// program may write; the helpers map it as a region.
class CoapPacket {
public:
    virtual std::span<std::uint8_t> buffer() noexcept { return {}; }
    virtual CoapLayout layout() noexcept { return {}; }
    /// gcoap_resp_init(pkt, buf, len, code): 0 or a negative errno.
    virtual std::optional<std::int32_t> resp_init(std::uint32_t code) noexcept {
        (void)code;
        return std::nullopt;
    }
    /// coap_opt_add_format(pkt, format): bytes added or a negative errno.
    virtual std::optional<std::int32_t> add_format(std::uint16_t format) noexcept {
        (void)format;
        return std::nullopt;
    }
    /// coap_opt_finish(pkt, flags): header and options length or a negative errno.
    virtual std::optional<std::int32_t> opt_finish(std::uint16_t flags) noexcept {
        (void)flags;
        return std::nullopt;
    }

protected:
    ~CoapPacket() = default;
};

inline constexpr std::uint16_t kCoapOptFinishPayload = 0x0001;  ///< COAP_OPT_FINISH_PAYLOAD

/// The seed's bpf_coap_ctx_t as a program reads it: each pointer in an 8-byte slot.
struct CoapContextView {
    std::uint64_t pkt = 0;  ///< address of the CoapPacketView
    std::uint64_t buf = 0;
    std::uint64_t buf_len = 0;
};
static_assert(sizeof(CoapContextView) == 24);

/// The seed's bpf_coap_pkt_t. Its pointers are 32 bits wide, as on the seed's Cortex-M
/// targets; on a 64-bit host they hold the low half of the address (use coap_get_pdu there).
struct CoapPacketView {
    std::uint32_t hdr_p = 0;
    std::uint32_t payload_p = 0;
    std::uint32_t token_p = 0;
    std::uint16_t payload_len = 0;
    std::uint16_t options_len = 0;
};
static_assert(sizeof(CoapPacketView) == 16);

/// One CoAP request a program answers: the views it reads and the packet it builds. Give the
/// program `context_address()` in r1 and add `regions()` to Execution::regions. Must not move
/// while a program runs (the views' addresses are handed out).
class CoapExchange {
public:
    explicit CoapExchange(CoapPacket& packet) noexcept : packet_(packet) { refresh(); }
    CoapExchange(const CoapExchange&) = delete;
    CoapExchange& operator=(const CoapExchange&) = delete;

    [[nodiscard]] std::uint64_t context_address() const noexcept {
        return reinterpret_cast<std::uintptr_t>(&context_);
    }
    /// The views (read-only) and the packet buffer (read-write).
    [[nodiscard]] std::array<Region, 3> regions() noexcept {
        const std::span<std::uint8_t> buf = packet_.buffer();
        return {Region::read_only(&context_, sizeof context_), Region::read_only(&view_, sizeof view_),
                Region::of(buf.data(), buf.size(), Access::read_write)};
    }
    [[nodiscard]] CoapPacket& packet() noexcept { return packet_; }

    /// Copies the packet's layout into the views; the helpers call it after every change.
    void refresh() noexcept {
        const std::span<std::uint8_t> buf = packet_.buffer();
        const CoapLayout at = packet_.layout();
        const auto base = reinterpret_cast<std::uintptr_t>(buf.data());
        context_.pkt = reinterpret_cast<std::uintptr_t>(&view_);
        context_.buf = base;
        context_.buf_len = buf.size();
        view_.hdr_p = static_cast<std::uint32_t>(base);
        view_.token_p = static_cast<std::uint32_t>(base + at.token_offset);
        view_.payload_p = static_cast<std::uint32_t>(base + at.payload_offset);
        view_.payload_len = at.payload_len;
        view_.options_len = at.options_len;
    }

private:
    CoapPacket& packet_;
    CoapContextView context_{};
    CoapPacketView view_{};
};

// ---------------------------------------------------------------------------------------------
// Key-value stores: fixed capacity, no heap, linear search (capacities are small).
// ---------------------------------------------------------------------------------------------

/// A store of 32-bit keys and values over storage a derived Store<N> owns.
class KeyValueStore {
public:
    struct Entry {
        std::uint32_t key;
        std::uint32_t value;
    };

    KeyValueStore(const KeyValueStore&) = delete;
    KeyValueStore& operator=(const KeyValueStore&) = delete;

    /// Sets `key`; false when it is new and the store is full.
    bool store(std::uint32_t key, std::uint32_t value) noexcept {
        if (Entry* e = find(key)) {
            e->value = value;
            return true;
        }
        if (count_ == entries_.size()) return false;
        entries_[count_++] = {key, value};
        return true;
    }
    [[nodiscard]] std::optional<std::uint32_t> fetch(std::uint32_t key) const noexcept {
        for (std::size_t i = 0; i < count_; ++i)
            if (entries_[i].key == key) return entries_[i].value;
        return std::nullopt;
    }
    void clear() noexcept { count_ = 0; }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return entries_.size(); }

protected:
    constexpr explicit KeyValueStore(std::span<Entry> entries) noexcept : entries_(entries) {}
    ~KeyValueStore() = default;

private:
    Entry* find(std::uint32_t key) noexcept {
        for (std::size_t i = 0; i < count_; ++i)
            if (entries_[i].key == key) return &entries_[i];
        return nullptr;
    }

    std::span<Entry> entries_;
    std::size_t count_ = 0;
};

namespace detail {
template <std::size_t N>
struct StoreStorage {
    std::array<KeyValueStore::Entry, N> entries{};
};
}  // namespace detail

/// A store for up to N keys. Not copyable: helpers keep pointers to it.
template <std::size_t N>
class Store : private detail::StoreStorage<N>, public KeyValueStore {
    static_assert(N > 0);

public:
    constexpr Store() noexcept : KeyValueStore(std::span<Entry>{this->entries}) {}
};

// ---------------------------------------------------------------------------------------------
// What the helpers work with: Execution::user must point at one of these.
// ---------------------------------------------------------------------------------------------

/// The platform interfaces; nullptr means the board has none (its helpers fail).
struct Platform {
    Output* output = nullptr;
    Clock* clock = nullptr;
    Gpio* gpio = nullptr;
    Saul* saul = nullptr;
    Display* display = nullptr;
    Keypad* keypad = nullptr;
};

struct Environment {
    Platform platform{};
    KeyValueStore* local = nullptr;   ///< the running program's own store (per slot, as the seed)
    KeyValueStore* global = nullptr;  ///< shared by all programs; not synchronised
    CoapExchange* coap = nullptr;     ///< the request being answered, if any
};

/// The handle hd44780_init gives programs (the seed handed out a host pointer).
inline constexpr std::uint32_t kDisplayHandle = 1;

// ---------------------------------------------------------------------------------------------
// RIOT's fmt functions (sys/fmt): `out` may be nullptr to get the length only. The output is
// not zero-terminated.
// ---------------------------------------------------------------------------------------------

namespace fmt {

[[nodiscard]] constexpr std::size_t u64_digits(std::uint64_t v) noexcept {
    std::size_t n = 1;
    while (v >= 10) {
        v /= 10;
        ++n;
    }
    return n;
}

/// Writes the decimal digits of v (exactly u64_digits(v) of them).
constexpr void put_u64(char* out, std::uint64_t v) noexcept {
    char* p = out + u64_digits(v);
    do {
        *--p = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
}

constexpr std::size_t u32_dec(char* out, std::uint32_t val) noexcept {
    if (out != nullptr) put_u64(out, val);
    return u64_digits(val);
}

/// val * 10^scale in decimal: a positive scale appends zeros, a negative one puts a point
/// before the last -scale digits with at least one digit before it ("-0.05"). RIOT requires
/// scale > -8; here any scale works (the length is a 64-bit value).
constexpr std::uint64_t s16_dfp_length(std::int16_t val, std::int32_t scale) noexcept {
    const std::uint64_t negative = val < 0 ? 1 : 0;
    const std::uint64_t digits = u64_digits(static_cast<std::uint64_t>(val < 0 ? -val : val));
    if (scale >= 0) return negative + digits + static_cast<std::uint64_t>(scale);
    const std::uint64_t after = static_cast<std::uint64_t>(-static_cast<std::int64_t>(scale));
    return negative + (digits > after ? digits : after + 1) + 1;
}

/// Writes s16_dfp_length(val, scale) characters.
constexpr void s16_dfp(char* out, std::int16_t val, std::int32_t scale) noexcept {
    const auto magnitude = static_cast<std::uint64_t>(val < 0 ? -val : val);
    const std::uint64_t digits = u64_digits(magnitude);
    if (val < 0) *out++ = '-';
    if (scale >= 0) {
        put_u64(out, magnitude);
        for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(scale); ++i) out[digits + i] = '0';
        return;
    }
    const std::uint64_t after = static_cast<std::uint64_t>(-static_cast<std::int64_t>(scale));
    const std::uint64_t total = digits > after ? digits : after + 1;  // digits without the point
    char number[5] = {};                                              // 32768 at most
    put_u64(number, magnitude);
    for (std::uint64_t i = 0, d = 0; i < total; ++i) {
        if (i == total - after) *out++ = '.';
        *out++ = i < total - digits ? '0' : number[d++];
    }
}

}  // namespace fmt

// ---------------------------------------------------------------------------------------------
// printf: %d %i %u %x %X %c %s %%, with the flags '-' and '0', a width up to 99 and the
// length modifiers l (32 bits, as long on Cortex-M) and ll (64 bits). Numbers are truncated to
// 32 bits as in the seed; %s takes a full 64-bit pointer. Anything else (%f, %p, precision, a
// fifth argument) fails the program with helper_failed before anything is printed.
// ---------------------------------------------------------------------------------------------

namespace detail {

struct Conversion {
    char kind = 0;  ///< d i u x X c s %
    bool left = false;
    bool zero = false;
    bool wide = false;  ///< ll: 64-bit value
    std::uint8_t width = 0;
    std::size_t length = 0;  ///< characters of the format it takes, '%' included
};

/// Parses the conversion at fmt[0] == '%'. kind 0: unsupported.
constexpr Conversion parse_conversion(std::string_view fmt) noexcept {
    Conversion c;
    std::size_t i = 1;
    if (i < fmt.size() && fmt[i] == '%') {
        c.kind = '%';
        c.length = 2;
        return c;
    }
    for (; i < fmt.size() && (fmt[i] == '-' || fmt[i] == '0'); ++i) (fmt[i] == '-' ? c.left : c.zero) = true;
    // The flags took every leading '0', so the width starts at its first non-zero digit.
    for (std::size_t n = 0; i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9'; ++i, ++n) {
        if (n == 2) return {};  // width above 99
        c.width = static_cast<std::uint8_t>(c.width * 10 + (fmt[i] - '0'));
    }
    if (i < fmt.size() && fmt[i] == 'l') {
        ++i;
        if (i < fmt.size() && fmt[i] == 'l') {
            c.wide = true;
            ++i;
        }
    }
    if (i == fmt.size()) return {};
    switch (fmt[i]) {
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'c':
        case 's':
            c.kind = fmt[i];
            c.length = i + 1;
            return c;
        default:
            return {};
    }
}

/// Buffers output in 64-byte pieces on the way to the Output.
class Writer {
public:
    explicit Writer(Output& out) noexcept : out_(out) {}
    void put(char ch) noexcept {
        if (used_ == sizeof buf_) flush();
        buf_[used_++] = ch;
    }
    void put(const char* s, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i) put(s[i]);
    }
    void repeat(char ch, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i) put(ch);
    }
    void flush() noexcept {
        if (used_ != 0) out_.write(buf_, used_);
        used_ = 0;
    }

private:
    Output& out_;
    char buf_[64] = {};
    std::size_t used_ = 0;
};

inline void emit(Writer& w, const Conversion& c, std::uint64_t arg, const char* text,
                 std::size_t text_len) noexcept {
    char digits[24] = {};
    const char* body = digits;
    std::size_t len = 0;
    bool negative = false;
    const std::uint64_t value = c.wide ? arg : (arg & 0xffff'ffffu);
    switch (c.kind) {
        case 'd':
        case 'i': {
            const std::int64_t s = c.wide ? static_cast<std::int64_t>(value)
                                          : static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
            negative = s < 0;
            // Negate in unsigned arithmetic: INT64_MIN has no positive counterpart.
            const std::uint64_t m =
                negative ? 0 - static_cast<std::uint64_t>(s) : static_cast<std::uint64_t>(s);
            fmt::put_u64(digits, m);
            len = fmt::u64_digits(m);
            break;
        }
        case 'u':
            fmt::put_u64(digits, value);
            len = fmt::u64_digits(value);
            break;
        case 'x':
        case 'X': {
            const char* hex = c.kind == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
            std::uint64_t v = value;
            do {
                ++len;
                v >>= 4;
            } while (v != 0);
            v = value;
            for (std::size_t i = len; i-- > 0; v >>= 4) digits[i] = hex[v & 0xf];
            break;
        }
        case 'c':
            digits[0] = static_cast<char>(static_cast<unsigned char>(arg & 0xff));
            len = 1;
            break;
        case 's':
            body = text;
            len = text_len;
            break;
        default:
            break;
    }
    const std::size_t used = len + (negative ? 1 : 0);
    const std::size_t width = c.width;
    const std::size_t pad = width > used ? width - used : 0;
    const bool zeros = c.zero && !c.left && c.kind != 's' && c.kind != 'c';
    if (!c.left && !zeros) w.repeat(' ', pad);
    if (negative) w.put('-');
    if (zeros) w.repeat('0', pad);
    w.put(body, len);
    if (c.left) w.repeat(' ', pad);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// The helpers. Arguments the table declares (pointers with a size known before the call) were
// checked by the interpreter already; the rest are checked here before anything is touched.
// ---------------------------------------------------------------------------------------------

namespace helpers {

using u64 = std::uint64_t;

/// The seed's int results: a 32-bit value sign-extended into r0.
constexpr u64 as_int(std::int32_t v) noexcept {
    return static_cast<u64>(static_cast<std::int64_t>(v));
}

inline Environment* environment(HelperContext& ctx) noexcept {
    auto* env = static_cast<Environment*>(ctx.user());
    if (env == nullptr) ctx.fail(ErrorCode::helper_failed);
    return env;
}

/// The platform interface `member` of the environment, or nullptr after failing the program.
template <class T>
T* platform(HelperContext& ctx, T* Platform::*member) noexcept {
    Environment* env = environment(ctx);
    if (env == nullptr) return nullptr;
    T* p = env->platform.*member;
    if (p == nullptr) ctx.fail(ErrorCode::helper_failed);
    return p;
}

/// A platform answer, or 0 after failing the program when it is not available.
template <class T>
u64 answer(HelperContext& ctx, const std::optional<T>& v) noexcept {
    if (!v) {
        ctx.fail(ErrorCode::helper_failed);
        return 0;
    }
    if constexpr (std::is_signed_v<T>) {
        return static_cast<u64>(static_cast<std::int64_t>(*v));
    } else {
        return static_cast<u64>(*v);
    }
}

inline u64 printf(u64 format, u64 a1, u64 a2, u64 a3, u64 a4, HelperContext& ctx) noexcept {
    std::size_t length = 0;
    const char* text = ctx.string(format, length);
    if (text == nullptr) return 0;
    const std::string_view format_text{text, length};
    const u64 args[4] = {a1, a2, a3, a4};
    // Pass 1 checks every conversion and %s pointer, so a bad call prints nothing.
    std::size_t used = 0;
    for (std::size_t i = 0; i < format_text.size(); ++i) {
        if (format_text[i] != '%') continue;
        const detail::Conversion c = detail::parse_conversion(format_text.substr(i));
        if (c.kind == 0 || (c.kind != '%' && used == 4)) {
            ctx.fail(ErrorCode::helper_failed);
            return 0;
        }
        if (c.kind == 's') {
            std::size_t ignored = 0;
            if (ctx.string(args[used], ignored) == nullptr) return 0;
        }
        if (c.kind != '%') ++used;
        i += c.length - 1;
    }
    Output* out = platform(ctx, &Platform::output);
    if (out == nullptr) return 0;
    detail::Writer w{*out};
    used = 0;
    for (std::size_t i = 0; i < format_text.size(); ++i) {
        if (format_text[i] != '%') {
            w.put(format_text[i]);
            continue;
        }
        const detail::Conversion c = detail::parse_conversion(format_text.substr(i));
        i += c.length - 1;
        if (c.kind == '%') {
            w.put('%');
            continue;
        }
        const u64 arg = args[used++];
        const char* str = nullptr;
        std::size_t str_len = 0;
        if (c.kind == 's') str = ctx.string(arg, str_len);
        detail::emit(w, c, arg, str, str_len);
    }
    w.flush();
    return 0;
}

inline u64 memcpy(u64 dst, u64 src, u64 n, u64, u64, HelperContext& ctx) noexcept {
    if (n == 0) return dst;
    void* to = ctx.pointer(dst, n, Access::write);
    const void* from = ctx.pointer(src, n, Access::read);
    // Programs can pass overlapping ranges; memmove gives them a defined result.
    if (to != nullptr && from != nullptr) std::memmove(to, from, static_cast<std::size_t>(n));
    return dst;
}

inline u64 print_debug(u64 value, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    Output* out = platform(ctx, &Platform::output);
    if (out == nullptr) return 0;
    char line[9 + 10 + 1] = {'[', 'D', 'E', 'B', 'U', 'G', ']', ':', ' '};
    const std::size_t digits = fmt::u32_dec(line + 9, static_cast<std::uint32_t>(value));
    line[9 + digits] = '\n';
    out->write(line, 9 + digits + 1);
    return 0;
}

inline KeyValueStore* store_of(HelperContext& ctx, KeyValueStore* Environment::*which) noexcept {
    Environment* env = environment(ctx);
    if (env == nullptr) return nullptr;
    KeyValueStore* s = env->*which;
    if (s == nullptr) ctx.fail(ErrorCode::helper_failed);
    return s;
}

inline u64 store_local(u64 key, u64 value, u64, u64, u64, HelperContext& ctx) noexcept {
    KeyValueStore* s = store_of(ctx, &Environment::local);
    if (s == nullptr) return 0;
    // The seed's local store never fills; returning the value without storing it would lie.
    if (!s->store(static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(value))) {
        ctx.fail(ErrorCode::helper_failed);
        return 0;
    }
    return as_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(value)));
}

inline u64 store_global(u64 key, u64 value, u64, u64, u64, HelperContext& ctx) noexcept {
    KeyValueStore* s = store_of(ctx, &Environment::global);
    if (s == nullptr) return 0;
    return as_int(s->store(static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(value)) ? 0 : -1);
}

inline u64 fetch_local(u64 key, u64 value_ptr, u64, u64, u64, HelperContext& ctx) noexcept {
    KeyValueStore* s = store_of(ctx, &Environment::local);
    if (s == nullptr) return 0;
    void* out = ctx.pointer(value_ptr, 4, Access::write);
    if (out == nullptr) return 0;
    store_le<std::uint32_t>(out, s->fetch(static_cast<std::uint32_t>(key)).value_or(0));
    return 0;
}

inline u64 fetch_global(u64 key, u64 value_ptr, u64, u64, u64, HelperContext& ctx) noexcept {
    KeyValueStore* s = store_of(ctx, &Environment::global);
    if (s == nullptr) return 0;
    void* out = ctx.pointer(value_ptr, 4, Access::write);
    if (out == nullptr) return 0;
    const auto k = static_cast<std::uint32_t>(key);
    const std::optional<std::uint32_t> v = s->fetch(k);
    store_le<std::uint32_t>(out, v.value_or(0));
    if (v) return 0;
    return as_int(s->store(k, 0) ? 0 : -1);  // a missing key is created with 0, as in RIOT's store
}

inline u64 now_ms(u64, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    Clock* c = platform(ctx, &Platform::clock);
    return c == nullptr ? 0 : answer(ctx, c->now_ms());
}

inline u64 ztimer_now(u64, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    Clock* c = platform(ctx, &Platform::clock);
    return c == nullptr ? 0 : answer(ctx, c->now_us());
}

inline u64 ztimer_periodic_wakeup(u64 last_ptr, u64 period, u64, u64, u64, HelperContext& ctx) noexcept {
    Clock* c = platform(ctx, &Platform::clock);
    if (c == nullptr) return 0;
    void* p = ctx.pointer(last_ptr, 4, Access::read_write);
    if (p == nullptr) return 0;
    auto last = load_le<std::uint32_t>(p);
    if (!c->periodic_wakeup(last, static_cast<std::uint32_t>(period))) {
        ctx.fail(ErrorCode::helper_failed);
        return 0;
    }
    store_le<std::uint32_t>(p, last);
    return 0;
}

inline u64 saul_reg_find_nth(u64 position, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    Saul* s = platform(ctx, &Platform::saul);
    return s == nullptr ? 0 : answer(ctx, s->find_nth(static_cast<std::int32_t>(position)));
}

inline u64 saul_reg_find_type(u64 type, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    Saul* s = platform(ctx, &Platform::saul);
    return s == nullptr ? 0 : answer(ctx, s->find_type(static_cast<std::uint8_t>(type)));
}

inline void put_phydat(void* p, const Phydat& d) noexcept {
    auto* b = static_cast<std::uint8_t*>(p);
    for (std::size_t i = 0; i < 3; ++i) store_le<std::int16_t>(b + 2 * i, d.val[i]);
    b[6] = d.unit;
    b[7] = static_cast<std::uint8_t>(d.scale);
}

inline u64 saul_reg_read(u64 device, u64 out_ptr, u64, u64, u64, HelperContext& ctx) noexcept {
    Saul* s = platform(ctx, &Platform::saul);
    if (s == nullptr) return 0;
    void* out = ctx.pointer(out_ptr, sizeof(Phydat), Access::write);
    if (out == nullptr) return 0;
    Phydat d{};
    const std::optional<std::int32_t> r = s->read(static_cast<std::uint32_t>(device), d);
    if (r && *r > 0) put_phydat(out, d);
    return answer(ctx, r);
}

inline u64 saul_reg_write(u64 device, u64 in_ptr, u64, u64, u64, HelperContext& ctx) noexcept {
    Saul* s = platform(ctx, &Platform::saul);
    if (s == nullptr) return 0;
    const auto* in = static_cast<const std::uint8_t*>(ctx.pointer(in_ptr, sizeof(Phydat), Access::read));
    if (in == nullptr) return 0;
    Phydat d{};
    for (std::size_t i = 0; i < 3; ++i) d.val[i] = load_le<std::int16_t>(in + 2 * i);
    d.unit = in[6];
    d.scale = static_cast<std::int8_t>(in[7]);
    return answer(ctx, s->write(static_cast<std::uint32_t>(device), d));
}

inline u64 saul_read_temp(u64 device, u64 out_ptr, u64, u64, u64, HelperContext& ctx) noexcept {
    Saul* s = platform(ctx, &Platform::saul);
    if (s == nullptr) return 0;
    void* out = ctx.pointer(out_ptr, 4, Access::write);
    if (out == nullptr) return 0;
    Phydat d{};
    const std::optional<std::int32_t> r = s->read(static_cast<std::uint32_t>(device), d);
    // val[0] widened with its sign, as the seed's `val[0] as u32`.
    if (r && *r > 0)
        store_le<std::uint32_t>(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(d.val[0])));
    return answer(ctx, r);
}

/// The exchange r1 names; anything but the context the firmware handed the program fails.
inline CoapExchange* exchange(HelperContext& ctx, u64 context) noexcept {
    Environment* env = environment(ctx);
    if (env == nullptr) return nullptr;
    if (env->coap == nullptr) {
        ctx.fail(ErrorCode::helper_failed);
        return nullptr;
    }
    if (context != env->coap->context_address()) {
        ctx.fail(ErrorCode::helper_bad_pointer);
        return nullptr;
    }
    return env->coap;
}

template <class Call>
u64 coap_call(HelperContext& ctx, u64 context, Call call) noexcept {
    CoapExchange* x = exchange(ctx, context);
    if (x == nullptr) return 0;
    const std::optional<std::int32_t> r = call(x->packet());
    x->refresh();
    return answer(ctx, r);
}

inline u64 gcoap_resp_init(u64 context, u64 code, u64, u64, u64, HelperContext& ctx) noexcept {
    return coap_call(ctx, context,
                     [code](CoapPacket& p) { return p.resp_init(static_cast<std::uint32_t>(code)); });
}

inline u64 coap_opt_finish(u64 context, u64 flags, u64, u64, u64, HelperContext& ctx) noexcept {
    return coap_call(ctx, context,
                     [flags](CoapPacket& p) { return p.opt_finish(static_cast<std::uint16_t>(flags)); });
}

inline u64 coap_add_format(u64 context, u64 format, u64, u64, u64, HelperContext& ctx) noexcept {
    return coap_call(ctx, context,
                     [format](CoapPacket& p) { return p.add_format(static_cast<std::uint16_t>(format)); });
}

/// The PDU buffer's address (a stub returning 0 in the seed).
inline u64 coap_get_pdu(u64 context, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    CoapExchange* x = exchange(ctx, context);
    return x == nullptr ? 0 : reinterpret_cast<std::uintptr_t>(x->packet().buffer().data());
}

/// out == 0 gives the length only, as RIOT's NULL; any other `out` must be writable for the
/// whole length, checked before the first byte is written.
inline char* fmt_out(HelperContext& ctx, u64 out, u64 length) noexcept {
    return static_cast<char*>(ctx.pointer(out, length, Access::write));
}

inline u64 fmt_s16_dfp(u64 out, u64 val, u64 scale, u64, u64, HelperContext& ctx) noexcept {
    const auto v = static_cast<std::int16_t>(static_cast<std::uint16_t>(val));
    const auto s = static_cast<std::int32_t>(static_cast<std::uint32_t>(scale));
    const u64 length = fmt::s16_dfp_length(v, s);
    if (out == 0) return length;
    char* p = fmt_out(ctx, out, length);
    if (p != nullptr) fmt::s16_dfp(p, v, s);
    return length;
}

inline u64 fmt_u32_dec(u64 out, u64 val, u64, u64, u64, HelperContext& ctx) noexcept {
    const auto v = static_cast<std::uint32_t>(val);
    const std::size_t length = fmt::u32_dec(nullptr, v);
    if (out == 0) return length;
    char* p = fmt_out(ctx, out, length);
    if (p != nullptr) fmt::u32_dec(p, v);
    return length;
}

inline u64 strlen(u64 str, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    std::size_t length = 0;
    return ctx.string(str, length) != nullptr ? length : 0;
}

inline u64 gpio_read_input(u64 port, u64 pin, u64, u64, u64, HelperContext& ctx) noexcept {
    Gpio* g = platform(ctx, &Platform::gpio);
    return g == nullptr ? 0
                        : answer(ctx, g->read_input(static_cast<std::uint32_t>(port),
                                                    static_cast<std::uint32_t>(pin)));
}

inline u64 gpio_read_raw(u64 port, u64 pin, u64, u64, u64, HelperContext& ctx) noexcept {
    Gpio* g = platform(ctx, &Platform::gpio);
    return g == nullptr
               ? 0
               : answer(ctx, g->read_raw(static_cast<std::uint32_t>(port), static_cast<std::uint32_t>(pin)));
}

/// 1 when written, 0 when the pin could not be configured, as in the seed.
inline u64 gpio_write(u64 port, u64 pin, u64 value, u64, u64, HelperContext& ctx) noexcept {
    Gpio* g = platform(ctx, &Platform::gpio);
    if (g == nullptr) return 0;
    const std::optional<bool> r = g->write(static_cast<std::uint32_t>(port), static_cast<std::uint32_t>(pin),
                                           static_cast<std::uint32_t>(value));
    if (!r) {
        ctx.fail(ErrorCode::helper_failed);
        return 0;
    }
    return *r ? 1 : 0;
}

/// The display, once the program names it by the handle hd44780_init gave.
inline Display* display(HelperContext& ctx, u64 handle) noexcept {
    Display* d = platform(ctx, &Platform::display);
    if (d != nullptr && handle != kDisplayHandle) {
        ctx.fail(ErrorCode::helper_failed);
        return nullptr;
    }
    return d;
}

inline u64 done(HelperContext& ctx, bool ok) noexcept {
    if (!ok) ctx.fail(ErrorCode::helper_failed);
    return 0;
}

inline u64 hd44780_init(u64, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    Display* d = platform(ctx, &Platform::display);
    if (d == nullptr) return 0;
    if (!d->init() || !d->clear()) return done(ctx, false);
    return kDisplayHandle;
}

inline u64 hd44780_clear(u64 handle, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    Display* d = display(ctx, handle);
    return d == nullptr ? 0 : done(ctx, d->clear());
}

inline u64 hd44780_print(u64 handle, u64 str, u64, u64, u64, HelperContext& ctx) noexcept {
    Display* d = display(ctx, handle);
    if (d == nullptr) return 0;
    std::size_t length = 0;
    const char* text = ctx.string(str, length);
    return text == nullptr ? 0 : done(ctx, d->print(text, length));
}

inline u64 hd44780_set_cursor(u64 handle, u64 row, u64 column, u64, u64, HelperContext& ctx) noexcept {
    Display* d = display(ctx, handle);
    return d == nullptr
               ? 0
               : done(ctx, d->set_cursor(static_cast<std::uint8_t>(row), static_cast<std::uint8_t>(column)));
}

inline u64 keypad_get_input(u64 line, u64, u64, u64, u64, HelperContext& ctx) noexcept {
    Keypad* k = platform(ctx, &Platform::keypad);
    if (k == nullptr) return 0;
    const std::optional<std::uint32_t> sample = k->sample(static_cast<std::uint32_t>(line));
    if (!sample) return done(ctx, false);
    return static_cast<u64>(key_for_sample(*sample));
}

}  // namespace helpers

// ---------------------------------------------------------------------------------------------
// The table firmware registers. Pointer arguments with a size known before the call are
// declared here, so the interpreter rejects them before the helper runs.
// ---------------------------------------------------------------------------------------------

namespace detail {
constexpr std::array<ArgSpec, 5> args(ArgSpec r1 = {}, ArgSpec r2 = {}) noexcept {
    return {r1, r2, {}, {}, {}};
}
constexpr ArgSpec kCoapContext = ArgSpec::reads(sizeof(CoapContextView));
}  // namespace detail

inline constexpr std::array<Helper, 30> kHelpers = {{
    {id(HelperId::printf), helpers::printf, "bpf_printf", detail::args(ArgSpec::c_string())},
    {id(HelperId::memcpy), helpers::memcpy, "bpf_memcpy",
     detail::args(ArgSpec::writes_size_of(3), ArgSpec::reads_size_of(3))},
    {id(HelperId::print_debug), helpers::print_debug, "bpf_print_debug"},
    {id(HelperId::store_local), helpers::store_local, "bpf_store_local"},
    {id(HelperId::store_global), helpers::store_global, "bpf_store_global"},
    {id(HelperId::fetch_local), helpers::fetch_local, "bpf_fetch_local",
     detail::args({}, ArgSpec::writes(4))},
    {id(HelperId::fetch_global), helpers::fetch_global, "bpf_fetch_global",
     detail::args({}, ArgSpec::writes(4))},
    {id(HelperId::now_ms), helpers::now_ms, "bpf_now_ms"},
    {id(HelperId::saul_reg_find_nth), helpers::saul_reg_find_nth, "bpf_saul_reg_find_nth"},
    {id(HelperId::saul_reg_find_type), helpers::saul_reg_find_type, "bpf_saul_reg_find_type"},
    {id(HelperId::saul_reg_read), helpers::saul_reg_read, "bpf_saul_reg_read",
     detail::args({}, ArgSpec::writes(sizeof(Phydat)))},
    {id(HelperId::saul_reg_write), helpers::saul_reg_write, "bpf_saul_reg_write",
     detail::args({}, ArgSpec::reads(sizeof(Phydat)))},
    {id(HelperId::saul_read_temp), helpers::saul_read_temp, "bpf_saul_read_temp",
     detail::args({}, ArgSpec::writes(4))},
    {id(HelperId::gcoap_resp_init), helpers::gcoap_resp_init, "bpf_gcoap_resp_init",
     detail::args(detail::kCoapContext)},
    {id(HelperId::coap_opt_finish), helpers::coap_opt_finish, "bpf_coap_opt_finish",
     detail::args(detail::kCoapContext)},
    {id(HelperId::coap_add_format), helpers::coap_add_format, "bpf_coap_add_format",
     detail::args(detail::kCoapContext)},
    {id(HelperId::coap_get_pdu), helpers::coap_get_pdu, "bpf_coap_get_pdu",
     detail::args(detail::kCoapContext)},
    {id(HelperId::fmt_s16_dfp), helpers::fmt_s16_dfp, "bpf_fmt_s16_dfp"},
    {id(HelperId::fmt_u32_dec), helpers::fmt_u32_dec, "bpf_fmt_u32_dec"},
    {id(HelperId::strlen), helpers::strlen, "bpf_strlen", detail::args(ArgSpec::c_string())},
    {id(HelperId::ztimer_now), helpers::ztimer_now, "bpf_ztimer_now"},
    {id(HelperId::ztimer_periodic_wakeup), helpers::ztimer_periodic_wakeup, "bpf_ztimer_periodic_wakeup",
     detail::args(ArgSpec::writes(4))},
    {id(HelperId::gpio_read_input), helpers::gpio_read_input, "bpf_gpio_read_input"},
    {id(HelperId::gpio_read_raw), helpers::gpio_read_raw, "bpf_gpio_read_raw"},
    {id(HelperId::gpio_write), helpers::gpio_write, "bpf_gpio_write"},
    {id(HelperId::hd44780_init), helpers::hd44780_init, "bpf_hd44780_init"},
    {id(HelperId::hd44780_clear), helpers::hd44780_clear, "bpf_hd44780_clear"},
    {id(HelperId::hd44780_print), helpers::hd44780_print, "bpf_hd44780_print",
     detail::args({}, ArgSpec::c_string())},
    {id(HelperId::hd44780_set_cursor), helpers::hd44780_set_cursor, "bpf_hd44780_set_cursor"},
    {id(HelperId::keypad_get_input), helpers::keypad_get_input, "bpf_keypad_get_input"},
}};

}  // namespace ubpf::seed

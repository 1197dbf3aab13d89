// SPDX-License-Identifier: MIT
// SUIT: the CBOR reader on hand-decoded bytes, UUIDv5 against RIOT's values, the byte-level
// test vector of riot-suit-coap.md §1.8 (accepted, and reproduced by the writer), keys in
// OpenSSL's PEM forms, and one test per rejection with its specific error and RIOT code.
// Expected values come from the doc, libsodium or hand decoding, never from the code under test.
#include <sodium.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <ubpf/host/suit_sodium.hpp>
#include <ubpf/host/suit_writer.hpp>
#include <ubpf/suit/cbor.hpp>
#include <ubpf/suit/manifest.hpp>
#include <ubpf/suit/uuid.hpp>

namespace {

using Bytes = std::vector<std::uint8_t>;
using ubpf::suit::Error;
namespace hs = ubpf::host::suit;
using CE = ubpf::cbor::Error;

Bytes hex(std::string_view text) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(std::string{text.substr(i, 2)}, nullptr, 16)));
    return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> hexa(std::string_view text) {
    const Bytes b = hex(text);
    if (b.size() != N) throw std::invalid_argument{"hex constant of the wrong length"};
    std::array<std::uint8_t, N> out{};
    std::copy(b.begin(), b.end(), out.begin());
    return out;
}

// riot-suit-coap.md §1.8.
const Bytes kVector =
    hex("a202587281586fd28443a10127a05824820258207509d3eccfbddb2d818b90a9"
        "a977cc8e3b3abab217a2fae7e13553646385cbaa58404a09eb123eae11279baf"
        "6429ca6874f8f775ef15267869a7f463f3ff0bd744a65da257efe984ad2f580d"
        "f4bd14db4353fc3d547d4a1e36b987b6f66bed35fc0f03588fa5010102010358"
        "61a20281824372616d41300458548614a40150547d0d746d3a5a9296624881af"
        "d9407b0250bcc90984fe7d562bb4c9a24f26a3a9cd0358248202582059f4a931"
        "744dcdc62944a018ed3990e666ec6444616418d3b09a82dc5c753d520e10010f"
        "020f09581e8613a11575636f61703a2f2f5b3a3a315d2f70726f672e62696e15"
        "02030f0a4382030f");
const auto kVectorPublicKey = hexa<32>("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
const auto kVendorRiot = hexa<16>("547d0d746d3a5a9296624881afd9407b");
const auto kClassNative = hexa<16>("bcc90984fe7d562bb4c9a24f26a3a9cd");
const auto kClassNative64 = hexa<16>("9251dc23fd9d503f94c4bfb95f3167b1");
const auto kProgDigest = hexa<32>("59f4a931744dcdc62944a018ed3990e666ec6444616418d3b09a82dc5c753d52");
const Bytes kProg =
    hex("b700000000000000"
        "9500000000000000");

std::array<std::uint8_t, 32> seed_0_to_31() {
    std::array<std::uint8_t, 32> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
    return seed;
}

struct Device {
    std::vector<ubpf::suit::PublicKey> keys{kVectorPublicKey};
    ubpf::suit::Trust trust{{}, kVendorRiot, kClassNative, 0};
    ubpf::suit::Limits limits{};
    hs::SodiumCrypto crypto;

    ubpf::suit::Result<ubpf::suit::ManifestInfo> verify(const Bytes& envelope) {
        trust.keys = keys;
        return ubpf::suit::verify_manifest(envelope, trust, crypto, limits);
    }
    Error error(const Bytes& envelope) {
        const auto r = verify(envelope);
        return r.ok() ? Error::none : r.error();
    }
};

const hs::KeyPair& vector_key() {
    static const hs::KeyPair key = hs::KeyPair::from_seed(seed_0_to_31());
    return key;
}

/// A manifest's parts as raw CBOR, by default what gen_manifest writes for the §1.8 inputs;
/// tests change one part, then sign it properly with the vector's key.
struct Parts {
    Bytes version = hex("01");
    Bytes sequence = hex("01");
    Bytes components = hex("81824372616d4130");  // [[h'72616d', h'30']]
    Bytes common_sequence =
        hex("8614a40150547d0d746d3a5a9296624881afd9407b0250bcc90984fe7d562bb4c9a24f26a3a9cd035824820258"
            "2059f4a931744dcdc62944a018ed3990e666ec6444616418d3b09a82dc5c753d520e10010f020f");
    Bytes install = hex("8613a11575636f61703a2f2f5b3a3a315d2f70726f672e62696e1502030f");
    Bytes validate = hex("82030f");
    Bytes extra_manifest_pairs;  // appended key/value pairs (the map count grows by `extra_count`)
    std::size_t extra_count = 0;

    Bytes manifest() const {
        hs::CborWriter common;
        common.map(2).uint(2);
        common.bytes.insert(common.bytes.end(), components.begin(), components.end());
        common.uint(4).bstr(common_sequence);
        hs::CborWriter m;
        m.map(5 + extra_count).uint(1);
        m.bytes.insert(m.bytes.end(), version.begin(), version.end());
        m.uint(2);
        m.bytes.insert(m.bytes.end(), sequence.begin(), sequence.end());
        m.uint(3).bstr(common.bytes).uint(9).bstr(install).uint(10).bstr(validate);
        m.bytes.insert(m.bytes.end(), extra_manifest_pairs.begin(), extra_manifest_pairs.end());
        return m.bytes;
    }
    Bytes envelope() const {
        return hs::build_envelope(manifest(), hs::sha256,
                                  [](std::span<const std::uint8_t> m) { return vector_key().sign(m); });
    }
};

/// A COSE_Sign1 envelope with a chosen protected header, signed for real.
Bytes envelope_with_protected(const Bytes& prot) {
    const Bytes manifest = Parts{}.manifest();
    hs::CborWriter item;
    item.bstr(manifest);
    hs::CborWriter payload;
    payload.array(2).uint(2).bstr(hs::sha256(item.bytes));
    const auto sig = vector_key().sign(hs::sig_structure(prot, payload.bytes));
    hs::CborWriter cose;
    cose.tag(18).array(4).bstr(prot).map(0).bstr(payload.bytes).bstr(sig);
    hs::CborWriter auth;
    auth.array(1).bstr(cose.bytes);
    hs::CborWriter env;
    env.map(2).uint(2).bstr(auth.bytes).uint(3).bstr(manifest);
    return env.bytes;
}

Bytes nested_arrays(std::size_t depth) {
    Bytes b(depth, 0x81);
    b.push_back(0x00);
    return b;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
TEST_CASE("cbor: integers, strings, containers, tags and simple values (hand-decoded)") {
    using ubpf::cbor::Reader;
    const Bytes data =
        hex("1864"
            "1903e8"
            "20"
            "3863"
            "43010203"
            "6261"
            "62"
            "82"
            "01"
            "a1"
            "01"
            "27"
            "d2"
            "80"
            "f4"
            "f5"
            "f6"
            "f820");
    Reader r{data};
    std::uint64_t u = 0;
    REQUIRE(r.get_uint(u) == CE::none);
    CHECK(u == 100);
    std::uint32_t u32 = 0;
    REQUIRE(r.get_uint32(u32) == CE::none);
    CHECK(u32 == 1000);
    std::int32_t i = 0;
    REQUIRE(r.get_int32(i) == CE::none);
    CHECK(i == -1);
    REQUIRE(r.get_int32(i) == CE::none);
    CHECK(i == -100);
    std::span<const std::uint8_t> b;
    REQUIRE(r.get_bstr(b) == CE::none);
    CHECK(Bytes(b.begin(), b.end()) == hex("010203"));
    std::string_view t;
    REQUIRE(r.get_tstr(t) == CE::none);
    CHECK(t == "ab");
    std::size_t n = 0;
    REQUIRE(r.get_array(n) == CE::none);
    CHECK(n == 2);
    REQUIRE(r.get_uint(u) == CE::none);
    CHECK(u == 1);
    REQUIRE(r.get_map(n) == CE::none);
    CHECK(n == 1);
    REQUIRE(r.get_int32(i) == CE::none);
    CHECK(i == 1);
    REQUIRE(r.get_int32(i) == CE::none);
    CHECK(i == -8);
    std::uint64_t tag = 0;
    REQUIRE(r.get_tag(tag) == CE::none);
    CHECK(tag == 18);
    REQUIRE(r.get_array(n) == CE::none);
    CHECK(n == 0);
    bool flag = true;
    REQUIRE(r.get_bool(flag) == CE::none);
    CHECK_FALSE(flag);
    REQUIRE(r.get_bool(flag) == CE::none);
    CHECK(flag);
    std::uint8_t simple = 0;
    REQUIRE(r.get_simple(simple) == CE::none);
    CHECK(simple == 22);
    REQUIRE(r.get_simple(simple) == CE::none);
    CHECK(simple == 32);
    CHECK(r.at_end());
}

TEST_CASE("cbor: item() returns the whole nested item, a wrong type leaves the reader in place") {
    using ubpf::cbor::Reader;
    const Bytes data =
        hex("a2"
            "01"
            "82"
            "40"
            "c1"
            "00"
            "02"
            "61"
            "78"
            "07");
    Reader r{data};
    std::uint64_t u = 0;
    CHECK(r.get_uint(u) == CE::wrong_type);
    CHECK(r.offset() == 0);
    std::span<const std::uint8_t> item;
    REQUIRE(r.get_item(item) == CE::none);
    CHECK(item.size() == 9);
    CHECK(r.get_uint(u) == CE::none);
    CHECK(u == 7);
    const Bytes big_bytes = hex("1b00000001000000003a7fffffff");
    Reader big{big_bytes};
    std::uint32_t u32 = 0;
    CHECK(big.get_uint32(u32) == CE::out_of_range);
    CHECK(big.get_uint(u) == CE::none);
    std::int32_t i = 0;
    CHECK(big.get_int32(i) == CE::none);
    CHECK(i == INT32_MIN);
}

TEST_CASE("cbor: each malformed input gives its error") {
    using ubpf::cbor::Reader;
    const auto skip = [](std::string_view h) { return Reader{hex(h)}.skip(); };
    CHECK(skip("") == CE::truncated);
    CHECK(skip("19"
               "01") == CE::truncated);  // 2-byte argument, 1 byte present
    CHECK(skip("1b"
               "00000000000000") == CE::truncated);
    CHECK(skip("45"
               "010203") == CE::truncated);  // bstr(5) with 3 bytes
    CHECK(skip("9b"
               "ffffffffffffffff") == CE::truncated);  // 2^64-1 elements announced
    CHECK(skip("82"
               "01") == CE::truncated);  // array(2) with one element
    CHECK(skip("a1"
               "01") == CE::truncated);
    CHECK(skip("5f"
               "41"
               "00"
               "ff") == CE::indefinite);
    CHECK(skip("7f"
               "ff") == CE::indefinite);
    CHECK(skip("9f"
               "ff") == CE::indefinite);
    CHECK(skip("bf"
               "ff") == CE::indefinite);
    CHECK(skip("ff") == CE::indefinite);  // stray break
    CHECK(skip("1c") == CE::reserved);
    CHECK(skip("5d") == CE::reserved);
    CHECK(skip("1f") == CE::reserved);  // indefinite is not defined for integers
    CHECK(skip("f8"
               "1f") == CE::bad_simple);
    CHECK(skip("f9"
               "3c00") == CE::none);  // a half float is a well-formed item
    Bytes deep(16, 0x81);
    deep.push_back(0x00);
    CHECK(Reader{deep}.skip() == CE::none);
    deep.insert(deep.begin(), 0x81);
    CHECK(Reader{deep}.skip() == CE::too_deep);
    CHECK(Reader{deep, 17}.skip() == CE::none);
    Bytes tags(17, 0xc1);
    tags.push_back(0x00);
    CHECK(Reader{tags}.skip() == CE::too_deep);
}

TEST_CASE("uuid: RIOT's vendor and class ids (riot-suit-coap.md §1.5)") {
    constexpr auto vendor = ubpf::suit::vendor_id();
    static_assert(vendor[0] == 0x54 && vendor[15] == 0x7b, "computed at compile time");
    CHECK(vendor == kVendorRiot);
    CHECK(ubpf::suit::class_id(vendor, "native") == kClassNative);
    CHECK(ubpf::suit::class_id(vendor, "native64") == kClassNative64);
    CHECK(ubpf::suit::class_id(vendor, "native32") == hexa<16>("0ffca4c1b94a5018be657c6d63e56021"));
    CHECK(ubpf::suit::class_id(vendor, "nucleo-f446re") == hexa<16>("5526a061b6c75848a018774d773483ac"));
    // RFC 4122 appendix B's example: uuid5(DNS, "www.example.com").
    CHECK(ubpf::suit::uuid5(ubpf::suit::kNamespaceDns, "www.example.com") ==
          hexa<16>("2ed6657de927568b95e12665a8aea6a2"));
    // A name long enough for a second SHA-1 block (55+ bytes with the namespace).
    CHECK(ubpf::suit::uuid5(ubpf::suit::kNamespaceDns, std::string(100, 'a')) ==
          hexa<16>("56596f37716c57a9a7352561f8608390"));
}

TEST_CASE("vector: the §1.8 envelope is accepted and its image checks out") {
    Device d;
    const auto r = d.verify(kVector);
    REQUIRE(r.ok());
    CHECK(r->uri == "coap://[::1]/prog.bin");
    CHECK(r->sequence_number == 1);
    CHECK(r->slot == 0);
    CHECK(r->image_size == 16);
    CHECK(r->image_digest == kProgDigest);
    CHECK(r->key_index == 0);
    // The URI is a view into the envelope: its text starts at 0xea (head 75 at 0xe9).
    CHECK(reinterpret_cast<const std::uint8_t*>(r->uri.data()) == kVector.data() + 0xea);
    CHECK(ubpf::suit::check_image(*r, kProg, d.crypto) == Error::none);
    // In 64-byte-style blocks too (here 5 + 11 bytes).
    ubpf::suit::ImageCheck check{*r, d.crypto};
    CHECK(check.update(std::span{kProg}.first(5)) == Error::none);
    CHECK(check.update(std::span{kProg}.subspan(5)) == Error::none);
    CHECK(check.finish() == Error::none);
}

TEST_CASE("vector: the second of several keys verifies") {
    Device d;
    d.keys = {hs::KeyPair::from_seed({}).public_key, kVectorPublicKey};
    const auto r = d.verify(kVector);
    REQUIRE(r.ok());
    CHECK(r->key_index == 1);
}

TEST_CASE("writer: reproduces the §1.8 envelope byte for byte from the same inputs") {
    const auto key = hs::KeyPair::from_seed(seed_0_to_31());
    CHECK(key.public_key == kVectorPublicKey);
    hs::SignOptions options;
    options.sequence_number = 1;
    options.slot = 0;
    options.uri = "coap://[::1]/prog.bin";
    options.board = "native";
    CHECK(hs::sign(kProg, key, options) == kVector);
    // Parts{} is the same manifest (bytes 0x79..0x107 of the vector).
    CHECK(Parts{}.manifest() == Bytes(kVector.begin() + 0x79, kVector.end()));
    // The unsigned form `suit-tool create` writes: 150 bytes with auth = bstr(h'80').
    const Bytes unsigned_env = hs::build_envelope(Parts{}.manifest(), hs::sha256, nullptr);
    CHECK(unsigned_env.size() == 150);
    CHECK(Bytes(unsigned_env.begin(), unsigned_env.begin() + 4) == hex("a2024180"));
}

TEST_CASE("keys: PEM forms of OpenSSL/PyCA, written by keygen and read back") {
    const auto key = hs::KeyPair::from_seed(seed_0_to_31());
    CHECK(hs::private_key_pem(key) ==
          "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f\n"
          "-----END PRIVATE KEY-----\n");
    CHECK(hs::public_key_pem(key.public_key) ==
          "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n"
          "-----END PUBLIC KEY-----\n");
    // Base64 split over lines (as some tools write) reads the same.
    CHECK(hs::parse_private_key("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwN\n"
                                "Dg8QERITFBUWFxgZGhscHR4f\n-----END PRIVATE KEY-----\n")
              .public_key == kVectorPublicKey);
    CHECK_THROWS_AS(hs::parse_private_key(hs::public_key_pem(key.public_key)), hs::SuitError);
    CHECK_THROWS_AS(
        hs::parse_public_key(
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAA6EHv/POEL4d\n-----END PUBLIC KEY-----\n"),
        hs::SuitError);

    const auto dir =
        std::filesystem::temp_directory_path() / ("ubpf-suit-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "key").string();
    const auto made = hs::keygen(path);
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
    const auto loaded = hs::load_private_key(path);
    CHECK(loaded.seed == made.seed);
    CHECK(hs::load_public_key(path + ".pub") == made.public_key);
    // What keygen wrote signs what the public key verifies (libsodium directly).
    const Bytes msg = hex("0102");
    const auto sig = loaded.sign(msg);
    CHECK(crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), made.public_key.data()) == 0);
    hs::SignOptions options;
    options.sequence_number = 9;
    options.uri = "coap://[::1]/prog.bin";
    const Bytes env = hs::sign(kProg, path, options);
    Device d;
    d.keys = {made.public_key};
    CHECK(d.verify(env).ok());
    std::filesystem::remove_all(dir);
}

// ------------------------------------------------------------------------------------------------
TEST_CASE("reject: signature by another key, or none at all") {
    Device d;
    d.keys = {hs::KeyPair::from_seed({}).public_key};
    CHECK(d.error(kVector) == Error::signature);
    CHECK(ubpf::suit::riot_code(Error::signature) == -6);
    d.keys.clear();
    CHECK(d.error(kVector) == Error::signature);
    Device u;
    CHECK(u.error(hs::build_envelope(Parts{}.manifest(), hs::sha256, nullptr)) == Error::signature);
    Bytes bad_sig = kVector;
    bad_sig[0x40] ^= 0x01;  // inside the 64 signature bytes (0x36..0x75)
    CHECK(u.error(bad_sig) == Error::signature);
}

TEST_CASE("reject: a tampered manifest no longer matches the signed digest") {
    Device d;
    for (std::size_t at : {0x79, 0x7d, 0xa0, 0xf0, 0x107}) {
        Bytes t = kVector;
        t[at] ^= 0x01;
        CHECK(d.error(t) == Error::manifest_digest);
    }
    Bytes payload = kVector;
    payload[0x20] ^= 0x01;  // the signed digest itself: the signature breaks first
    CHECK(d.error(payload) == Error::signature);
    CHECK(ubpf::suit::riot_code(Error::manifest_digest) == -7);
}

TEST_CASE("reject: tampered image, wrong size") {
    Device d;
    const auto r = d.verify(kVector);
    REQUIRE(r.ok());
    Bytes image = kProg;
    image[3] = 1;
    CHECK(ubpf::suit::check_image(*r, image, d.crypto) == Error::image_digest);
    CHECK(ubpf::suit::check_image(*r, std::span{kProg}.first(15), d.crypto) == Error::image_size);
    Bytes longer = kProg;
    longer.push_back(0);
    CHECK(ubpf::suit::check_image(*r, longer, d.crypto) == Error::image_size);
    ubpf::suit::ImageCheck check{*r, d.crypto};
    CHECK(check.update(kProg) == Error::none);
    CHECK(check.update(hex("00")) == Error::image_size);
    CHECK(check.finish() == Error::image_size);
}

TEST_CASE("reject: sequence number replayed or lower") {
    Device d;
    d.trust.highest_sequence = 1;
    CHECK(d.error(kVector) == Error::sequence_number);
    d.trust.highest_sequence = 5;
    CHECK(d.error(kVector) == Error::sequence_number);
    CHECK(ubpf::suit::riot_code(Error::sequence_number) == -5);
    Parts p;
    p.sequence = hex("1a00000006");  // 6 with a 4-byte head
    d.trust.highest_sequence = 5;
    CHECK(d.verify(p.envelope()).ok());
    p.sequence = hex("1b0000000100000000");  // > uint32
    CHECK(d.error(p.envelope()) == Error::malformed);
    p.sequence = hex("20");  // negative
    CHECK(d.error(p.envelope()) == Error::malformed);
}

TEST_CASE("reject: manifest version other than 1") {
    Parts p;
    p.version = hex("02");
    Device d;
    CHECK(d.error(p.envelope()) == Error::version);
    CHECK(ubpf::suit::riot_code(Error::version) == -5);  // RIOT reuses SEQUENCE_NUMBER
}

TEST_CASE("reject: vendor or class id of another device") {
    Device d;
    d.trust.vendor_id = ubpf::suit::vendor_id("example.org");
    CHECK(d.error(kVector) == Error::vendor_mismatch);
    Device c;
    c.trust.class_id = kClassNative64;  // a RIOT >= 2025.04 `native` board
    CHECK(c.error(kVector) == Error::class_mismatch);
    CHECK(ubpf::suit::riot_code(Error::class_mismatch) == -4);
}

TEST_CASE("reject: components that name no RAM slot, or too many") {
    Device d;
    Parts p;
    p.components = hex("81824372616d4135");  // .ram.5 with 5 slots
    CHECK(d.error(p.envelope()) == Error::unknown_component);
    p.components = hex("81824372616d4110");  // gen_manifest's "10" -> h'10'
    CHECK(d.error(p.envelope()) == Error::unknown_component);
    p.components = hex("81824472616d6d4130");  // .ramm.0: not the .ram. prefix
    CHECK(d.error(p.envelope()) == Error::unknown_component);
    p.components =
        hex("8183437261"
            "6d"
            "4130"
            "4130");  // .ram.0.0
    CHECK(d.error(p.envelope()) == Error::unknown_component);
    p.components = hex("81814472616d30");  // one part ".ram0"
    CHECK(d.error(p.envelope()) == Error::unknown_component);
    p.components = hex("82824372616d4130824372616d4131");
    CHECK(d.error(p.envelope()) == Error::too_many_components);
    p.components = hex("81824372616d423034");  // .ram.04 -> slot 4
    const auto r = d.verify(p.envelope());
    REQUIRE(r.ok());
    CHECK(r->slot == 4);
    Device wide;
    wide.limits.slots = 16;
    p.components = hex("81824372616d423130");  // .ram.10, the ASCII digits ubpf sign writes
    const auto r10 = wide.verify(p.envelope());
    REQUIRE(r10.ok());
    CHECK(r10->slot == 10);
    CHECK(ubpf::suit::riot_code(Error::unknown_component) == -2);
}

TEST_CASE("reject: image larger than the slot, URI too long or not CoAP") {
    Device d;
    d.limits.slot_size = 15;
    CHECK(d.error(kVector) == Error::image_too_large);
    CHECK(ubpf::suit::riot_code(Error::image_too_large) == -50);
    Device u;
    u.limits.url_buffer = 21;  // "coap://[::1]/prog.bin" is 21 characters, plus the NUL
    CHECK(u.error(kVector) == Error::uri_too_long);
    u.limits.url_buffer = 22;
    CHECK(u.verify(kVector).ok());
    Parts p;
    p.install = hex("8613a11570687474703a2f2f612e622f702e62696e1502030f");  // "http://a.b/p.bin"
    CHECK(d.error(p.envelope()) == Error::image_too_large);                 // size comes first, as in RIOT
    Device e;
    CHECK(e.error(p.envelope()) == Error::uri_scheme);
}

TEST_CASE("reject: truncated envelopes, at every length") {
    Device d;
    for (std::size_t n = 0; n < kVector.size(); ++n) {
        const Bytes t(kVector.begin(), kVector.begin() + n);
        INFO("length " << n);
        CHECK(d.error(t) == Error::cbor_truncated);
    }
}

TEST_CASE("reject: garbled and indefinite-length CBOR") {
    Device d;
    Bytes g = kVector;
    g[0] = 0x1c;  // reserved additional information
    CHECK(d.error(g) == Error::cbor_reserved);
    g[0] = 0xbf;  // indefinite map
    CHECK(d.error(g) == Error::cbor_indefinite);
    g[0] = 0x84;  // an array is entered like a map: key, value, ... (RIOT does the same)
    CHECK(d.verify(g).ok());
    g[0] = 0x83;  // the manifest key without its value
    CHECK(d.error(g) == Error::malformed);
    g[0] = 0x82;  // only the auth pair
    CHECK(d.error(g) == Error::no_manifest);
    g[0] = 0x01;  // neither map nor array
    CHECK(d.error(g) == Error::malformed);
    g = kVector;
    g[0x04] = 0x9f;  // the auth array made indefinite
    CHECK(d.error(g) == Error::cbor_indefinite);
    Parts p;
    p.validate = hex("9f030fff");  // indefinite command sequence, signed properly
    CHECK(d.error(p.envelope()) == Error::cbor_indefinite);
    p = Parts{};
    p.validate = hex("8203f81f");
    CHECK(d.error(p.envelope()) == Error::cbor_bad_simple);
    CHECK(ubpf::suit::riot_code(Error::cbor_indefinite) == -1);
}

TEST_CASE("reject: excessive nesting") {
    Device d;
    Parts p;
    Bytes v = hex("8203");
    const Bytes deep = nested_arrays(17);
    v.insert(v.end(), deep.begin(), deep.end());
    p.validate = v;  // image-match's argument nested 17 deep
    CHECK(d.error(p.envelope()) == Error::cbor_too_deep);
    hs::CborWriter s;
    s.array(2).uint(3).uint(15);
    for (int i = 0; i < 5; ++i) {
        hs::CborWriter outer;
        outer.array(2).uint(30).bstr(s.bytes);
        s = outer;
    }
    p.validate = s.bytes;
    CHECK(d.error(p.envelope()) == Error::sequence_too_deep);
}

TEST_CASE("reject: COSE algorithm other than EdDSA, malformed COSE") {
    Device d;
    CHECK(d.verify(envelope_with_protected(hex("a10127"))).ok());                     // the control
    CHECK(d.error(envelope_with_protected(hex("a10126"))) == Error::cose_algorithm);  // ES256 (-7)
    CHECK(d.error(envelope_with_protected(hex("a0"))) == Error::cose_algorithm);      // no alg
    CHECK(d.error(envelope_with_protected(hex(""))) == Error::cose_algorithm);
    CHECK(d.error(envelope_with_protected(hex("a10132"))) == Error::cose_algorithm);  // -19
    CHECK(d.error(envelope_with_protected(hex("a2036161"
                                              "0127"))) == Error::none);  // other labels skipped
    Bytes tag = kVector;
    tag[0x07] = 0xd1;  // tag 17 (COSE_Mac0)
    CHECK(d.error(tag) == Error::cose_malformed);
    Bytes three = kVector;
    three[0x08] = 0x83;
    CHECK(d.error(three) == Error::cose_malformed);
    CHECK(ubpf::suit::riot_code(Error::cose_algorithm) == -6);
}

TEST_CASE("reject: structure RIOT has no handler for, or forbids") {
    Device d;
    // Envelope key 4 (a severable member) after a valid manifest.
    Bytes env = kVector;
    env[0] = 0xa3;
    env.push_back(0x04);
    env.push_back(0x40);
    CHECK(d.error(env) == Error::unsupported_key);
    // Manifest before auth: swap the order by rebuilding {3: m, 2: auth}.
    hs::CborWriter swapped;
    swapped.map(2);
    swapped.bytes.insert(swapped.bytes.end(), kVector.begin() + 0x76, kVector.end());
    swapped.bytes.insert(swapped.bytes.end(), kVector.begin() + 1, kVector.begin() + 0x76);
    CHECK(d.error(swapped.bytes) == Error::not_authenticated);
    // Only the auth wrapper.
    Bytes only_auth(kVector.begin(), kVector.begin() + 0x76);
    only_auth[0] = 0xa1;
    CHECK(d.error(only_auth) == Error::no_manifest);

    Parts p;
    p.extra_manifest_pairs = hex("0c40");  // run (12) is unsupported
    p.extra_count = 1;
    CHECK(d.error(p.envelope()) == Error::unsupported_key);
    p = Parts{};
    p.validate =
        hex("82"
            "0e"
            "0f");  // abort (14)
    CHECK(d.error(p.envelope()) == Error::unsupported_command);
    p = Parts{};
    p.install = hex("8613a104f51502030f");  // a bool value: types are checked before the key, as in RIOT
    CHECK(d.error(p.envelope()) == Error::malformed);
    p.install = hex("8613a104001502030f");  // parameter 4 = 0
    CHECK(d.error(p.envelope()) == Error::unsupported_parameter);
    p = Parts{};  // fetch before the vendor and class conditions
    p.common_sequence =
        hex("8214a40150547d0d746d3a5a9296624881afd9407b0250bcc90984fe7d562bb4c9a24f26a3a9cd035824820258"
            "2059f4a931744dcdc62944a018ed3990e666ec6444616418d3b09a82dc5c753d520e10");
    CHECK(d.error(p.envelope()) == Error::policy);
    CHECK(ubpf::suit::riot_code(Error::policy) == -8);
    p = Parts{};
    p.validate = hex("84050f030f");  // component-offset condition
    CHECK(d.error(p.envelope()) == Error::offset_condition);
    p = Parts{};
    p.validate = hex("840cf5030f");  // set-component-index true
    CHECK(d.error(p.envelope()) == Error::bad_component_index);
    p.validate = hex("840c01030f");
    CHECK(d.error(p.envelope()) == Error::bad_component_index);
    p.validate = hex("840c00030f");
    CHECK(d.verify(p.envelope()).ok());
    p = Parts{};
    p.validate = hex("80");
    p.install = hex("8413a11575636f61703a2f2f5b3a3a315d2f70726f672e62696e1502");  // fetch, no image-match
    CHECK(d.error(p.envelope()) == Error::no_image_match);
    p.install = hex("8213a11575636f61703a2f2f5b3a3a315d2f70726f672e62696e");
    CHECK(d.error(p.envelope()) == Error::no_fetch);
    p = Parts{};
    p.install = hex("8413a11575636f61703a2f2f5b3a3a315d2f70726f672e62696e030f");  // match, no fetch
    CHECK(d.error(p.envelope()) == Error::not_fetched);
    p = Parts{};
    p.install = hex("8813a11575636f61703a2f2f5b3a3a315d2f70726f672e62696e1502030f1502");
    CHECK(d.error(p.envelope()) == Error::already_fetched);
}

TEST_CASE("reject: image digest that is not SHA-256 / 32 bytes") {
    Device d;
    Parts p;
    // The common sequence with the digest parameter's algorithm changed to COSE's -16 (0x2f).
    // Hand-decoded: 86 14 a4 | 01 50 <16> | 02 50 <16> | 03 58 24 82 02 58 20 <32> | 0e 10 ...
    REQUIRE(p.common_sequence[40] == 0x58);
    REQUIRE(p.common_sequence[43] == 0x02);
    p.common_sequence[43] = 0x2f;
    CHECK(d.error(p.envelope()) == Error::digest_algorithm);
    CHECK(ubpf::suit::riot_code(Error::digest_algorithm) == -1);
}

TEST_CASE("reject: envelope larger than RIOT's 640-byte manifest buffer") {
    Device d;
    Bytes big = kVector;
    big.resize(641, 0);  // trailing bytes are ignored as in RIOT, but not past the buffer
    CHECK(d.error(big) == Error::envelope_too_large);
    big.resize(640);
    CHECK(d.verify(big).ok());
    CHECK(ubpf::suit::riot_code(Error::envelope_too_large) == -9);
}

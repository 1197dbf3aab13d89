// SPDX-License-Identifier: MIT
// Host SUIT crypto on libsodium (link PkgConfig::SODIUM): ubpf::suit::Crypto for verifying,
// Ed25519 keys in the PEM files RIOT's tooling reads and writes (riot-suit-coap.md §5:
// PKCS#8 "PRIVATE KEY" holding the 32-byte seed, SubjectPublicKeyInfo "PUBLIC KEY"), and the
// `keygen` and `sign` steps of the CLI. Errors are std::runtime_error with a one-line reason.
#pragma once

#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "../suit/manifest.hpp"
#include "suit_writer.hpp"

namespace ubpf::host::suit {

using ubpf::suit::PublicKey;

struct SuitError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline void sodium_ready() {
    if (sodium_init() < 0) throw SuitError{"libsodium failed to initialise"};
}

/// libsodium behind the device's crypto interface.
class SodiumCrypto final : public ubpf::suit::Crypto {
public:
    SodiumCrypto() { sodium_ready(); }
    void sha256_init() noexcept override { crypto_hash_sha256_init(&state_); }
    void sha256_update(std::span<const std::uint8_t> data) noexcept override {
        crypto_hash_sha256_update(&state_, data.data(), data.size());
    }
    void sha256_final(Digest& out) noexcept override { crypto_hash_sha256_final(&state_, out.data()); }
    bool ed25519_verify(std::span<const std::uint8_t> message, const Signature& signature,
                        const PublicKey& key) noexcept override {
        return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), key.data()) == 0;
    }

private:
    crypto_hash_sha256_state state_{};
};

inline Digest sha256(std::span<const std::uint8_t> data) {
    sodium_ready();
    Digest out{};
    crypto_hash_sha256(out.data(), data.data(), data.size());
    return out;
}

/// An Ed25519 key pair from its 32-byte seed (the secret in the PKCS#8 file).
struct KeyPair {
    std::array<std::uint8_t, 32> seed{};
    PublicKey public_key{};
    std::array<std::uint8_t, 64> secret{};  ///< libsodium's form: seed || public key

    static KeyPair from_seed(const std::array<std::uint8_t, 32>& seed) {
        sodium_ready();
        KeyPair k;
        k.seed = seed;
        crypto_sign_seed_keypair(k.public_key.data(), k.secret.data(), seed.data());
        return k;
    }

    [[nodiscard]] Signature sign(std::span<const std::uint8_t> message) const {
        Signature s{};
        crypto_sign_detached(s.data(), nullptr, message.data(), message.size(), secret.data());
        return s;
    }
};

// DER prefixes of the two OpenSSL Ed25519 forms (RFC 8410): PKCS#8 v1 with OID 1.3.101.112
// wrapping an OCTET STRING of the seed, and SPKI with the public key as a BIT STRING.
inline constexpr std::array<std::uint8_t, 16> kPkcs8Prefix = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                                              0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
inline constexpr std::array<std::uint8_t, 12> kSpkiPrefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                             0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

inline std::string base64(std::span<const std::uint8_t> data) {
    sodium_ready();
    std::string out(sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::char_traits<char>::length(out.c_str()));
    return out;
}

/// PEM: one base64 line between the BEGIN/END markers (what OpenSSL and PyCA write for keys
/// this short).
inline std::string pem(std::string_view label, std::span<const std::uint8_t> der) {
    return "-----BEGIN " + std::string{label} + "-----\n" + base64(der) + "\n-----END " + std::string{label} +
           "-----\n";
}

/// The DER inside a PEM block with this label; lines of base64 may be split anywhere.
inline std::vector<std::uint8_t> pem_decode(const std::string& text, std::string_view label) {
    const std::string begin = "-----BEGIN " + std::string{label} + "-----";
    const std::string end = "-----END " + std::string{label} + "-----";
    const auto b = text.find(begin);
    const auto e = b == std::string::npos ? std::string::npos : text.find(end, b + begin.size());
    if (b == std::string::npos || e == std::string::npos)
        throw SuitError{"not a PEM file with a '" + std::string{label} + "' block"};
    const std::string body = text.substr(b + begin.size(), e - b - begin.size());
    sodium_ready();
    std::vector<std::uint8_t> der(body.size());
    std::size_t length = 0;
    if (sodium_base642bin(der.data(), der.size(), body.data(), body.size(), " \t\r\n", &length, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        throw SuitError{"PEM '" + std::string{label} + "' block is not valid base64"};
    der.resize(length);
    return der;
}

inline std::string private_key_pem(const KeyPair& key) {
    std::vector<std::uint8_t> der(kPkcs8Prefix.begin(), kPkcs8Prefix.end());
    der.insert(der.end(), key.seed.begin(), key.seed.end());
    const std::string text = pem("PRIVATE KEY", der);
    sodium_memzero(der.data(), der.size());
    return text;
}

inline std::string public_key_pem(const PublicKey& key) {
    std::vector<std::uint8_t> der(kSpkiPrefix.begin(), kSpkiPrefix.end());
    der.insert(der.end(), key.begin(), key.end());
    return pem("PUBLIC KEY", der);
}

inline KeyPair parse_private_key(const std::string& text) {
    const auto der = pem_decode(text, "PRIVATE KEY");
    if (der.size() != kPkcs8Prefix.size() + 32 ||
        !std::equal(kPkcs8Prefix.begin(), kPkcs8Prefix.end(), der.begin()))
        throw SuitError{"private key is not an unencrypted Ed25519 PKCS#8 key"};
    std::array<std::uint8_t, 32> seed{};
    std::copy(der.end() - 32, der.end(), seed.begin());
    return KeyPair::from_seed(seed);
}

inline PublicKey parse_public_key(const std::string& text) {
    const auto der = pem_decode(text, "PUBLIC KEY");
    if (der.size() != kSpkiPrefix.size() + 32 ||
        !std::equal(kSpkiPrefix.begin(), kSpkiPrefix.end(), der.begin()))
        throw SuitError{"public key is not an Ed25519 SubjectPublicKeyInfo"};
    PublicKey key{};
    std::copy(der.end() - 32, der.end(), key.begin());
    return key;
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw SuitError{"cannot read " + path};
    return std::string{std::istreambuf_iterator<char>(in), {}};
}

inline void write_file(const std::string& path, std::string_view data, mode_t mode) {
    // Opened with its final mode (and chmod'ed if it existed), so a private key is never
    // readable by others, even briefly.
    std::FILE* f = nullptr;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd >= 0 && ::fchmod(fd, mode) == 0) f = ::fdopen(fd, "wb");
    if (fd >= 0 && f == nullptr) ::close(fd);
    if (f == nullptr) throw SuitError{"cannot write " + path};
    const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
    if (std::fclose(f) != 0 || !ok) throw SuitError{"cannot write " + path};
}

inline KeyPair load_private_key(const std::string& path) {
    return parse_private_key(read_text(path));
}
inline PublicKey load_public_key(const std::string& path) {
    return parse_public_key(read_text(path));
}

/// `ubpf keygen -o KEY`: a random key, KEY (PKCS#8, mode 0600) and KEY.pub (SPKI).
inline KeyPair keygen(const std::string& path) {
    sodium_ready();
    std::array<std::uint8_t, 32> seed{};
    randombytes_buf(seed.data(), seed.size());
    const KeyPair key = KeyPair::from_seed(seed);
    sodium_memzero(seed.data(), seed.size());
    write_file(path, private_key_pem(key), 0600);
    write_file(path + ".pub", public_key_pem(key.public_key), 0644);
    return key;
}

/// The inputs of `ubpf sign` besides the key (gen_manifest.py's defaults for vendor and board).
struct SignOptions {
    std::uint32_t sequence_number = 0;
    std::uint32_t slot = 0;
    std::string uri;
    std::string board = "native";
    std::string vendor_domain = std::string{ubpf::suit::kRiotVendorDomain};
};

/// A signed envelope for `image` as gen_manifest.py + `suit-tool create` + `suit-tool sign` write it.
inline std::vector<std::uint8_t> sign(std::span<const std::uint8_t> image, const KeyPair& key,
                                      const SignOptions& options) {
    if (image.size() > 0xffffffffu) throw SuitError{"image is larger than 4 GiB"};
    ManifestParams p;
    p.sequence_number = options.sequence_number;
    p.component = std::to_string(options.slot);
    p.uri = options.uri;
    p.vendor_id = ubpf::suit::vendor_id(options.vendor_domain);
    p.class_id = ubpf::suit::class_id(p.vendor_id, options.board);
    p.image_digest = sha256(image);
    p.image_size = static_cast<std::uint32_t>(image.size());
    const auto manifest = build_manifest(p);
    return build_envelope(manifest, sha256, [&key](std::span<const std::uint8_t> m) { return key.sign(m); });
}

inline std::vector<std::uint8_t> sign(std::span<const std::uint8_t> image, const std::string& key_path,
                                      const SignOptions& options) {
    return sign(image, load_private_key(key_path), options);
}

}  // namespace ubpf::host::suit

/* SPDX-License-Identifier: MIT */
/* CRC-32 (IEEE 802.3), bitwise without a table: reflected, polynomial 0xEDB88320,
 * init and final xor 0xFFFFFFFF. "123456789" -> 0xCBF43926. */
#include <stdint.h>

uint64_t crc32(uint8_t *data, uint64_t len);

uint64_t crc32(uint8_t *data, uint64_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    const uint8_t *end = data + len;
    for (const uint8_t *p = data; p != end; ++p) {
        crc ^= *p;
        for (uint32_t bit = 0; bit < 8u; ++bit) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return crc ^ 0xFFFFFFFFu;
}

// SPDX-License-Identifier: MIT
// libFuzzer target for the seed's header layouts and format detection: the first byte picks
// bare text, Femto-Containers, extended or "detect from the bytes"; the rest is the image. The
// checks are those of load_and_run.hpp.
#include <ubpf/loader.hpp>

#include "load_and_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t choice = data[0] % 4;
    return fuzz::load_and_run(data + 1, size - 1,
                              [choice](std::span<std::uint8_t> bytes) -> ubpf::Result<ubpf::Image> {
                                  if (choice == 3) {
                                      const auto format = ubpf::detect_format(bytes);
                                      if (!format) return format.error();
                                      if (*format == ubpf::Format::elf)
                                          return ubpf::Error{ubpf::ErrorCode::image_unknown_format, 0};
                                      return ubpf::load_image(bytes, *format);
                                  }
                                  return ubpf::load_image(bytes, static_cast<ubpf::Format>(choice));
                              });
}

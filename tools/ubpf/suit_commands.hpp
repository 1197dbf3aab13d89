// SPDX-License-Identifier: MIT
// `ubpf keygen` and `ubpf sign`: Ed25519 keys and SUIT manifests as RIOT's tooling makes them.
#pragma once

#include <string>
#include <vector>

namespace ubpf::tools {

/// ubpf keygen -o KEY: writes KEY (PKCS#8 PEM) and KEY.pub (SPKI PEM). Returns the exit status.
int cmd_keygen(std::vector<std::string> args);

/// ubpf sign IMAGE --key KEY --seq N --slot S --uri URI [--board NAME] [--vendor DOMAIN] -o MANIFEST
int cmd_sign(std::vector<std::string> args);

}  // namespace ubpf::tools

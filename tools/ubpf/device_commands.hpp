// SPDX-License-Identifier: MIT
// `ubpf serve|deploy|exec|status|stop`: the commands that talk to a device over CoAP.
#pragma once

#include <string>
#include <vector>

namespace ubpf::tools {

int cmd_serve(std::vector<std::string> args);
int cmd_deploy(std::vector<std::string> args);
int cmd_exec(std::vector<std::string> args);
int cmd_status(std::vector<std::string> args);
int cmd_stop(std::vector<std::string> args);

}  // namespace ubpf::tools

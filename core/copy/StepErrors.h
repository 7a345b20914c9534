// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "util/Error.h"

#include <string>

namespace offload {

/// The error's message without its device: StepOutcome::reason is shown after the
/// device's name ("nvme0n1: Command Size Limit Exceeded ...").
std::string withoutDevice(Error e);

/// True for errno values with which the kernel refuses a passthrough itself (nothing
/// reached the medium: ENOTTY, EOPNOTSUPP, EINVAL, EACCES, ...): the step is declined.
/// The rest (EIO, ETIMEDOUT, ENODEV, ...) are failures.
bool errnoDeclines(int err);

} // namespace offload

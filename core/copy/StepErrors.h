// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/OffloadBackend.h"
#include "util/Error.h"

#include <cstddef>

#include <string>

namespace offload {

/// The error's message without its device: StepOutcome::reason is shown after the
/// device's name ("nvme0n1: Command Size Limit Exceeded ...").
std::string withoutDevice(Error e);

/// True for errno values with which the kernel refuses a passthrough itself (nothing
/// reached the medium: ENOTTY, EOPNOTSUPP, EINVAL, EACCES, ...): the step is declined.
/// The rest (EIO, ETIMEDOUT, ENODEV, ...) are failures.
bool errnoDeclines(int err);

/// A Declined outcome: ranges/segments [0, unitsDone) were copied, the rest falls back.
StepOutcome declined(Error error, std::string reason, std::size_t unitsDone = 0);

/// Declined by our own check before anything was sent to the device (a limit, a missing
/// designator): the reason is `what`.
StepOutcome declinedBeforeSending(const std::string& device, Errc code, const std::string& what,
                                  const std::string& hint = {});

} // namespace offload

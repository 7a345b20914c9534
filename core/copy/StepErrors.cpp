// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/StepErrors.h"

#include <cerrno>

namespace offload {

std::string withoutDevice(Error e)
{
    e.device.clear();
    return e.message();
}

bool errnoDeclines(int err)
{
    switch (err) {
    case ENOTTY:
    case EOPNOTSUPP:
    case EINVAL:
    case EACCES:
    case EPERM:
    case ENOSYS:
    case ENOMEM:
    case EAGAIN:
    case EBUSY:
        return true;
    default:
        return false;
    }
}

StepOutcome declined(Error error, std::string reason, std::size_t unitsDone)
{
    StepOutcome out;
    out.kind = StepOutcome::Kind::Declined;
    out.unitsDone = unitsDone;
    out.reason = std::move(reason);
    out.error = std::move(error);
    return out;
}

StepOutcome declinedBeforeSending(const std::string& device, Errc code, const std::string& what,
                                  const std::string& hint)
{
    return declined(Error::make(code, device, what, hint), what);
}

} // namespace offload

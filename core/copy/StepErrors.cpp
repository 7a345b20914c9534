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

} // namespace offload

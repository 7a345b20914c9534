// SPDX-License-Identifier: GPL-2.0-or-later
// A loop device on a file of the test's own (root only), for tests that need a real block
// device on this host.
#pragma once

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <string>

namespace offload::testing {

/// Attaches the first free loop device to `file`; detached on destruction. `path` is empty
/// when it could not be set up (not root, no loop driver, none free).
class LoopDevice {
public:
    explicit LoopDevice(const std::string& file)
    {
        // Another test may take the free device between the two calls: try again then.
        for (int attempt = 0; attempt < 5 && path.empty(); ++attempt)
            attach(file);
    }
    ~LoopDevice()
    {
        if (m_fd >= 0) {
            ::ioctl(m_fd, LOOP_CLR_FD, 0);
            ::close(m_fd);
        }
    }
    LoopDevice(const LoopDevice&) = delete;
    LoopDevice& operator=(const LoopDevice&) = delete;
    std::string path; ///< empty when it could not be set up
private:
    void attach(const std::string& file)
    {
        const int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (control < 0)
            return;
        const int number = ::ioctl(control, LOOP_CTL_GET_FREE);
        ::close(control);
        if (number < 0)
            return;
        const std::string node = "/dev/loop" + std::to_string(number);
        const int backing = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
        const int fd = ::open(node.c_str(), O_RDWR | O_CLOEXEC);
        const bool attached = backing >= 0 && fd >= 0 && ::ioctl(fd, LOOP_SET_FD, backing) == 0;
        if (backing >= 0)
            ::close(backing);
        if (!attached) {
            if (fd >= 0)
                ::close(fd);
            return;
        }
        m_fd = fd;
        path = node;
    }

    int m_fd = -1; ///< the attached loop device's node, open while attached
};

} // namespace offload::testing

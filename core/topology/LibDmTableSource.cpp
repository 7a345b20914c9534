// SPDX-License-Identifier: GPL-2.0-or-later
// The only file that talks to libdevmapper.
#include "topology/Topology.h"

#include <libdevmapper.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <sys/stat.h>

namespace offload {

namespace {

/// libdm is not thread-safe and logs through a process-wide hook: serialize every use.
std::mutex g_libdmMutex;
/// The last error libdm logged while a task of ours ran (guarded by g_libdmMutex).
std::string g_lastLibdmError;

__attribute__((format(printf, 5, 6))) void captureLibdmLog(int level, const char* /*file*/, int /*line*/,
                                                             int /*errnoOrClass*/, const char* format, ...)
{
    // Levels: 3 = error, 4 = warning, 5 = notice, 6 = info, 7 = debug. Keep errors for messages.
    if ((level & 7) > 4)
        return;
    char buf[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    g_lastLibdmError = buf;
}

/// Whether this kernel has device-mapper at all, without asking libdm (which would log).
bool kernelHasDeviceMapper()
{
    struct stat st {};
    if (::stat("/dev/mapper/control", &st) == 0)
        return true;
    std::ifstream misc("/proc/misc");
    std::string line;
    while (std::getline(misc, line)) {
        if (line.find("device-mapper") != std::string::npos)
            return true;
    }
    return false;
}

class LibDmTableSource final : public DmTableSource {
public:
    LibDmTableSource()
    {
        if (!kernelHasDeviceMapper())
            m_unavailable = "no device-mapper in this kernel";
    }

    std::string unavailableReason() const override { return m_unavailable; }

    Result<std::vector<DmSegment>> table(DevNum devnum, const std::string& name) override
    {
        const std::string who = (name.empty() ? std::string("dm") : "/dev/mapper/" + name) + " (" +
                                devnum.str() + ")";
        if (!m_unavailable.empty())
            return std::unexpected(Error::make(Errc::Unsupported, who, m_unavailable));

        std::lock_guard lock(g_libdmMutex);
        dm_log_with_errno_init(captureLibdmLog);
        g_lastLibdmError.clear();
        struct TaskDeleter {
            void operator()(dm_task* task) const { dm_task_destroy(task); }
        };
        std::unique_ptr<dm_task, TaskDeleter> task(dm_task_create(DM_DEVICE_TABLE));
        if (!task)
            return std::unexpected(Error::make(Errc::Internal, who, "libdevmapper could not create a task"));
        if (!dm_task_set_major_minor(task.get(), static_cast<int>(devnum.major),
                                     static_cast<int>(devnum.minor), 0))
            return std::unexpected(Error::make(Errc::Internal, who, "libdevmapper rejected the device number"));
        dm_task_no_open_count(task.get());
        if (!dm_task_run(task.get())) {
            const int err = dm_task_get_errno(task.get());
            std::string what = "cannot read the device-mapper table";
            if (!g_lastLibdmError.empty())
                what += ": " + g_lastLibdmError;
            if (err == EACCES || err == EPERM)
                return std::unexpected(Error::make(Errc::PermissionDenied, who, what + " (needs root)",
                                                   "run as root to see device-mapper tables"));
            if (err == ENXIO || err == ENODEV)
                return std::unexpected(Error::make(Errc::NotFound, who, what + " (the device is gone)"));
            auto error = err != 0 ? Error::sys(err, who, what) : Error::make(Errc::System, who, what);
            return std::unexpected(std::move(error));
        }
        dm_info info {};
        if (dm_task_get_info(task.get(), &info) && !info.exists)
            return std::unexpected(Error::make(Errc::NotFound, who, "the device-mapper device is gone"));

        std::vector<DmSegment> segments;
        void* next = nullptr;
        do {
            uint64_t start = 0;
            uint64_t length = 0;
            char* target = nullptr;
            char* params = nullptr;
            next = dm_get_next_target(task.get(), next, &start, &length, &target, &params);
            if (!target)
                break; // a device without a table
            segments.push_back(DmSegment{start, length, target, params ? params : ""});
        } while (next);
        return segments;
    }

private:
    std::string m_unavailable;
};

} // namespace

std::unique_ptr<DmTableSource> makeLibDmTableSource()
{
    return std::make_unique<LibDmTableSource>();
}

} // namespace offload

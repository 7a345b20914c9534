// SPDX-License-Identifier: GPL-2.0-or-later
// The only file that talks to libdevmapper. It is loaded with dlopen on first use (when a
// device-mapper device is read): a copy between LUNs or namespaces does not map it and the
// libraries it needs (libselinux, libudev, libpcre2).
#include "topology/Topology.h"

#include <libdevmapper.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <dlfcn.h>
#include <fstream>
#include <mutex>
#include <string>
#include <sys/stat.h>

#ifndef OFFLOADCP_LIBDM_SONAME
#define OFFLOADCP_LIBDM_SONAME "libdevmapper.so.1.02.1"
#endif

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

/// The libdevmapper functions offloadcp uses, resolved from the library once.
struct LibDm {
    decltype(&::dm_log_with_errno_init) logWithErrnoInit = nullptr;
    decltype(&::dm_task_create) taskCreate = nullptr;
    decltype(&::dm_task_destroy) taskDestroy = nullptr;
    decltype(&::dm_task_set_major_minor) taskSetMajorMinor = nullptr;
    decltype(&::dm_task_no_open_count) taskNoOpenCount = nullptr;
    decltype(&::dm_task_run) taskRun = nullptr;
    decltype(&::dm_task_get_errno) taskGetErrno = nullptr;
    decltype(&::dm_task_get_info) taskGetInfo = nullptr;
    decltype(&::dm_get_next_target) getNextTarget = nullptr;
    std::string unavailable; ///< non-empty: why it could not be loaded

    template <class F> bool resolve(void* handle, F& fn, const char* name)
    {
        fn = reinterpret_cast<F>(::dlsym(handle, name));
        if (!fn && unavailable.empty())
            unavailable = std::string(OFFLOADCP_LIBDM_SONAME " lacks ") + name;
        return fn != nullptr;
    }

    static const LibDm& get()
    {
        static const LibDm lib = [] {
            LibDm l;
            // Never closed: libdm keeps process-wide state.
            void* handle = ::dlopen(OFFLOADCP_LIBDM_SONAME, RTLD_NOW | RTLD_LOCAL);
            if (!handle) {
                const char* why = ::dlerror();
                l.unavailable = std::string("cannot load " OFFLOADCP_LIBDM_SONAME) + (why ? std::string(": ") + why : "")
                                + " (install libdevmapper1.02.1)";
                return l;
            }
            l.resolve(handle, l.logWithErrnoInit, "dm_log_with_errno_init");
            l.resolve(handle, l.taskCreate, "dm_task_create");
            l.resolve(handle, l.taskDestroy, "dm_task_destroy");
            l.resolve(handle, l.taskSetMajorMinor, "dm_task_set_major_minor");
            l.resolve(handle, l.taskNoOpenCount, "dm_task_no_open_count");
            l.resolve(handle, l.taskRun, "dm_task_run");
            l.resolve(handle, l.taskGetErrno, "dm_task_get_errno");
            l.resolve(handle, l.taskGetInfo, "dm_task_get_info");
            l.resolve(handle, l.getNextTarget, "dm_get_next_target");
            return l;
        }();
        return lib;
    }
};

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
        else
            m_unavailable = LibDm::get().unavailable;
    }

    std::string unavailableReason() const override { return m_unavailable; }

    Result<std::vector<DmSegment>> table(DevNum devnum, const std::string& name) override
    {
        const std::string who = (name.empty() ? std::string("dm") : "/dev/mapper/" + name) + " (" +
                                devnum.str() + ")";
        if (!m_unavailable.empty())
            return std::unexpected(Error::make(Errc::Unsupported, who, m_unavailable));

        const LibDm& dm = LibDm::get();
        std::lock_guard lock(g_libdmMutex);
        dm.logWithErrnoInit(captureLibdmLog);
        g_lastLibdmError.clear();
        auto destroy = [&dm](dm_task* task) { dm.taskDestroy(task); };
        std::unique_ptr<dm_task, decltype(destroy)> task(dm.taskCreate(DM_DEVICE_TABLE), destroy);
        if (!task)
            return std::unexpected(Error::make(Errc::Internal, who, "libdevmapper could not create a task"));
        if (!dm.taskSetMajorMinor(task.get(), static_cast<int>(devnum.major),
                                     static_cast<int>(devnum.minor), 0))
            return std::unexpected(Error::make(Errc::Internal, who, "libdevmapper rejected the device number"));
        dm.taskNoOpenCount(task.get());
        if (!dm.taskRun(task.get())) {
            const int err = dm.taskGetErrno(task.get());
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
        if (dm.taskGetInfo(task.get(), &info) && !info.exists)
            return std::unexpected(Error::make(Errc::NotFound, who, "the device-mapper device is gone"));

        std::vector<DmSegment> segments;
        void* next = nullptr;
        do {
            uint64_t start = 0;
            uint64_t length = 0;
            char* target = nullptr;
            char* params = nullptr;
            next = dm.getNextTarget(task.get(), next, &start, &length, &target, &params);
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

// SPDX-License-Identifier: GPL-2.0-or-later
// One line of `offloadcp copy --json` as the app reads it while the CLI copies through pkexec
// (parseCopyEventRecord, which ui/JobController uses).
#include "FuzzInput.h"

#include "copy/CopyEventRecord.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    const auto record = offload::parseCopyEventRecord(offload::fuzz::text(data, size));
    if (!record)
        return 0;
    if (record->invalid)
        OFFLOADCP_FUZZ_CHECK(record->invalid->code == offload::Errc::Corrupt && !record->invalid->what.empty());
    else if (record->kind == offload::CopyEventRecord::Kind::Progress)
        (void)record->progress.fraction();
    return 0;
}

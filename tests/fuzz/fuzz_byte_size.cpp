// SPDX-License-Identifier: GPL-2.0-or-later
// parseByteSize: sizes and offsets as users type them (command line, the app's dialogs).
#include "FuzzInput.h"

#include "util/ByteSize.h"

#include <cctype>
#include <charconv>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    const std::string_view input = offload::fuzz::text(data, size);
    const auto parsed = offload::parseByteSize(input);
    if (!parsed) {
        OFFLOADCP_FUZZ_CHECK(!parsed.error().what.empty());
        return 0;
    }
    // Plain decimal digits are bytes, exactly.
    bool digits = !input.empty();
    for (char c : input)
        digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (digits) {
        uint64_t value = 0;
        const auto [end, ec] = std::from_chars(input.data(), input.data() + input.size(), value);
        OFFLOADCP_FUZZ_CHECK(ec == std::errc{} && end == input.data() + input.size() && value == *parsed);
    }
    return 0;
}

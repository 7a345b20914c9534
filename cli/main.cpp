// SPDX-License-Identifier: GPL-2.0-or-later
#include <cstdio>

int main()
{
    std::puts("offloadcp " OFFLOADCP_VERSION);
    return 0;
}

# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for offloadcp
_offloadcp()
{
    local cur prev words cword
    _init_completion || return
    local cmds="report plan copy"
    local common="--json --fixture --help"
    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W "$cmds --version --help" -- "$cur"))
        return
    fi
    case $prev in
        --fixture) _filedir -d; return ;;
        --src-offset|--dst-offset|--length|--io-size|--io-depth|--offload-depth) return ;;
    esac
    case ${words[1]} in
        report) opts="$common --long --output --all" ;;
        plan) opts="$common --src-offset --dst-offset --length --no-offload --cross-namespace --commands --long --output" ;;
        copy) opts="$common --src-offset --dst-offset --length --require-offload --no-offload --cross-namespace --verify --force --io-size --io-depth --offload-depth --cancel-on-stdin" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(ls /dev/mapper/* /dev/nvme*n* /dev/sd* /dev/loop* 2>/dev/null)" -- "$cur"))
        _filedir
    fi
}
complete -F _offloadcp offloadcp

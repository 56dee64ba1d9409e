#!/usr/bin/env bash
# The main job, step by step, on the bundled example application (Examples/guestbook):
#   1. turn its two revisions into a real Git repository with two commits (in a temporary directory);
#   2. start the embedded cluster (with workload simulation) and write its kubeconfig: one cluster
#      for both syncs, so the second one has something to change and prune (`gitops-sync
#      --embedded` starts a fresh cluster for each run);
#   3. gitops-sync revision 1 (tag v1) into it, then revision 2 (tag v2) with --prune, which
#      changes the image and replica count and prunes the banner ConfigMap.
#
#   scripts/demo.sh               the whole demo
#   scripts/demo.sh --repo DIR    only step 1, into DIR (which must not exist); prints the log
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
app="$root/Examples/guestbook"

# Step 1. Fixed authors and dates, so the commits (and their SHAs) are the same on every machine.
make_repo() {
    local repo=$1
    mkdir -p "$repo"
    export GIT_AUTHOR_NAME="swift-gitops demo" GIT_AUTHOR_EMAIL="demo@example.invalid"
    export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
    git -C "$repo" init --quiet --initial-branch=main
    cp "$app"/revision-1/*.yaml "$repo/"
    git -C "$repo" add --all
    GIT_AUTHOR_DATE="2026-01-05T10:00:00Z" GIT_COMMITTER_DATE="2026-01-05T10:00:00Z" \
        git -C "$repo" commit --quiet -m "guestbook: nginx 1.27, two replicas, launch-week banner"
    git -C "$repo" tag v1
    git -C "$repo" rm --quiet -- '*.yaml'
    cp "$app"/revision-2/*.yaml "$repo/"
    git -C "$repo" add --all
    GIT_AUTHOR_DATE="2026-01-12T10:00:00Z" GIT_COMMITTER_DATE="2026-01-12T10:00:00Z" \
        git -C "$repo" commit --quiet -m "guestbook: nginx 1.28, three replicas, banner removed, dark mode on"
    git -C "$repo" tag v2
}

if [[ ${1:-} == --repo ]]; then
    [[ -n ${2:-} ]] || { echo "demo.sh: --repo needs a directory" >&2; exit 2; }
    [[ ! -e $2 ]] || { echo "demo.sh: $2 already exists" >&2; exit 2; }
    make_repo "$2"
    git -C "$2" log --oneline --decorate --stat
    exit 0
fi

work="$(mktemp -d)"
cluster_pid=""
cleanup() {
    [[ -n $cluster_pid ]] && kill "$cluster_pid" 2>/dev/null && wait "$cluster_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

make_repo "$work/guestbook"
echo "== the example repository: $work/guestbook"
git -C "$work/guestbook" log --oneline --decorate

cd "$root"
echo "== building embedded-cluster and gitops-sync (several minutes the first time)"
swift build --product embedded-cluster >/dev/null
swift build --product gitops-sync >/dev/null
bin="$(swift build --show-bin-path)"

echo "== starting the embedded cluster"
"$bin/embedded-cluster" --kubeconfig "$work/kubeconfig" --simulate-workloads >"$work/cluster.log" &
cluster_pid=$!
for _ in $(seq 1 100); do [[ -s $work/kubeconfig ]] && break; sleep 0.1; done
[[ -s $work/kubeconfig ]] || { echo "demo.sh: the embedded cluster did not start" >&2; exit 2; }

export XDG_CACHE_HOME="$work/cache"
echo
echo "== sync revision 1 (v1)"
"$bin/gitops-sync" "$work/guestbook" --revision v1 --app guestbook --namespace guestbook --kubeconfig "$work/kubeconfig"
echo
echo "== sync revision 2 (v2), pruning what Git no longer holds"
"$bin/gitops-sync" "$work/guestbook" --revision v2 --app guestbook --namespace guestbook --kubeconfig "$work/kubeconfig" --prune

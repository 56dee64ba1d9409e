# The README's commands. Each one installs what it lacks first (scripts/setup.sh).
.PHONY: setup test bench bench-detail demo

setup:
	@scripts/setup.sh

# Checks that every public declaration has a doc comment, builds everything (library, examples,
# tests, the benchmark ratio tools so they cannot rot) and runs every test.
test: setup
	scripts/check-docs.sh
	swift build --build-tests
	cd Benchmarks && swift build --product bench-ratios && swift build --product cluster-ratios
	swift test --skip-build

# One line per comparison, each measured against its anchor in the same run.
bench: setup
	cd Benchmarks && swift build -c release --product bench-ratios && .build/release/bench-ratios
	cd Benchmarks && swift build -c release --product cluster-ratios && .build/release/cluster-ratios

# Full distributions (wall clock, throughput, allocations, memory) with package-benchmark.
bench-detail: setup
	cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --no-progress

# The main job: the bundled example (Examples/guestbook) as a Git repository with two tagged
# commits, synced into the embedded cluster by gitops-sync: v1, then v2 with prune.
demo: setup
	@scripts/demo.sh

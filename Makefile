# The README's commands. Each one installs what it lacks first (scripts/setup.sh).
.PHONY: setup test bench demo

setup:
	@scripts/setup.sh

test: setup
	swift build --build-tests
	swift test --skip-build

bench: setup
	cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --no-progress --format text 2>&1 | tee .bench-output.txt
	@cd Benchmarks && grep -hE '^[a-z0-9-]+: ratio' .bench-output.txt || true

demo:
	@echo "make demo arrives with the Sync issue (gitops-sync into the embedded cluster); see README.md, Status."
	@exit 2

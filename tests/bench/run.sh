#!/bin/sh
# make bench: ratios measured side by side in one run; table + build/bench.json.
cd "$(dirname "$0")/../.." || exit 2
exec python3 tests/bench/run.py "${FG_BUILD:-build}"

# Client/server endpoints whose verdict waits for wireup ("pending"): every
# one of them is judged, however many (100 endpoints on each side here, all
# left for ucp_worker_destroy), and one closed by its thread while other
# threads' endpoint creations recheck the same worker is never queried
# after its close (also run under ASan by `make check SANITIZE=1`).
source "$(dirname "$0")/lib.sh"
MANY=$PROGS/ucx_cs_many
export UCX_LOG_LEVEL=error   # the server side never receives: UCX warns about each message

counts() { grep '"event":"summary"' "$1" | grep -o '"counts":{[^}]*}'; }

rm -f "$TMP/m.jsonl"
out=$(UCX_TLS=tcp UCX_NET_DEVICES=lo FABGUARD_LOG=$TMP/m.jsonl with_shim timeout 300 "$MANY" -p "$(free_port)" -n 100 2>"$TMP/m.err"); rc=$?
expect_eq "100 client/server pairs over tcp: application unaffected" "$rc $out" "0 ucx_cs_many: connected 100 accepted 100"
expect_contains "100 pairs: all 200 endpoints counted" "$(counts "$TMP/m.jsonl")" '"endpoints":200'
expect_contains "100 pairs: every one of the 200 endpoints judged a violation (one tcp lane each)" "$(counts "$TMP/m.jsonl")" '"violations":200'

rm -f "$TMP/t.jsonl"
out=$(UCX_TLS=tcp UCX_NET_DEVICES=lo FABGUARD_LOG=$TMP/t.jsonl with_shim timeout 300 "$MANY" -p "$(free_port)" -n 96 -t 4 -c 2>"$TMP/t.err"); rc=$?
expect_eq "4 threads creating and closing on one worker: application unaffected" "$rc $out" "0 ucx_cs_many: connected 96 accepted 96"
expect_eq "4 threads: no sanitizer or UCX error" "$(grep -c -E 'ERROR|AddressSanitizer|runtime error' "$TMP/t.err")" "0"
check "4 threads: every event line is JSON" python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/t.jsonl"

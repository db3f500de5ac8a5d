# Sourced by tests/tsan/run.sh: client/server endpoints created and closed
# by 4 threads on one multi-threaded worker while the others' creations
# recheck that worker's pending endpoints; and a receive-only process
# whose endpoint UCX creates (the log capture runs in UCX's progress).
UCX_TLS=tcp UCX_NET_DEVICES=lo UCX_LOG_LEVEL=error run "4 threads creating and closing client/server endpoints on one worker" \
    $P/ucx_cs_many -p "$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')" -n 48 -t 4 -c
UCX_TLS=tcp run "receive-only process: the endpoint UCX creates, judged from its log in progress" \
    bash -c "$P/ucx_wa recv $TMP/wa.addr 1048576 & $P/ucx_wa send $TMP/wa.addr 1048576; wait"

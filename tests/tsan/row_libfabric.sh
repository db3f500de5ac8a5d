# Sourced by tests/tsan/run.sh: libfabric wrappers (ops-table copies,
# events) with many threads opening fabrics, domains and endpoints at once.
if [ -x "$P/fi_threads" ]; then
    run "32 threads opening libfabric shm endpoints" $P/fi_threads shm 32
    FI_TCP_IFACE=lo run "16 threads opening tcp;ofi_rxm endpoints (violations)" $P/fi_threads "tcp;ofi_rxm" 16
fi

# Sourced by tests/tsan/run.sh: the NCCL capture reader thread judging lazy
# channel lines while the application thread keeps calling NCCL.
EXPECT_EVENT=channel run "NCCL capture reader with lazy connections (double)" \
    env LD_LIBRARY_PATH=build/tests/doubles FG_NCCL_DOUBLE_SCENARIO=lazy_socket $P/nccl_init 8 collective
# Concurrent first calls: one capture set up while 32 threads race into it.
EXPECT_EVENT=comm run "32 threads' first NCCL calls at once (double)" \
    env LD_LIBRARY_PATH=build/tests/doubles FG_NCCL_DOUBLE_SCENARIO=socket $P/nccl_threads 32

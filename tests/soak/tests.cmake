# The soak (issue 10, deliverable 5): tests/soak/soak.c runs every workload
# at once for a given time and checks invariants, goroutines, fds and RSS.
#   make soak                    10 minutes, plain build
#   make soak SOAK_SECONDS=60    the CI length
#   ctest -L soak                the same 60 s run (RUN_SERIAL: it wants the
#                                machine); `make test*` leave it out (-LE soak)
#   build-asan/tests/test_soak 30, build-tsan/tests/test_soak 30  sanitized
goc_add_test(soak ${CMAKE_CURRENT_LIST_DIR}/soak.c PROCS 2 ARGS 60 TIMEOUT 400)
set_tests_properties(soak.p2 PROPERTIES RUN_SERIAL TRUE)

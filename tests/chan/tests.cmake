# Channels, select, semaphores and sync (issue 3).  Included by
# tests/CMakeLists.txt; every test runs at each GOC_MAXPROCS in
# GOC_TEST_PROCS and in the sanitizer builds.
set(_d ${CMAKE_CURRENT_LIST_DIR})
set(_s ${CMAKE_CURRENT_LIST_DIR}/../sync)

goc_add_test(chan_basic      ${_d}/chan_basic.c)
goc_add_test(chan_sieve      ${_d}/chan_sieve.c)
goc_add_test(chan_stress     ${_d}/chan_stress.c TIMEOUT 180)
goc_add_test(chan_ring       ${_d}/chan_ring.c TIMEOUT 120 LABELS core)
goc_add_test(chan_foreign    ${_d}/chan_foreign.c TIMEOUT 180)
goc_add_test(chan_foreign_exit ${_d}/chan_foreign_exit.c TIMEOUT 60)
goc_add_test(select_basic    ${_d}/select_basic.c)
goc_add_test(select_fair     ${_d}/select_fair.c)
goc_add_test(select_race     ${_d}/select_race.c TIMEOUT 180)
goc_add_test(select_waiters  ${_d}/select_waiters.c TIMEOUT 180)
goc_add_fatal_test(chan_deadlock ${_d}/chan_deadlock.c
  "all goroutines are asleep - deadlock")
# F10: freeing misuse is loud; the abandoned results channel by refcount.
goc_add_fatal_test(chan_free_waiters ${_d}/chan_free_waiters.c
  "fatal error: free of channel with waiters: channel 0x[0-9a-f]+ .*goroutines blocked on it: [0-9]+")
goc_add_fatal_test(chan_use_after_free ${_d}/chan_use_after_free.c
  "fatal error: (send on|select on|close of|receive from|free of) freed channel 0x[0-9a-f]+"
  ARGS late select close recv double)
goc_add_fatal_test(chan_free_retained ${_d}/chan_free_retained.c
  "fatal error: free of channel 0x[0-9a-f]+ that 1 goc_chan_retain references still hold")
goc_add_test(chan_retain ${_d}/chan_retain.c TIMEOUT 60)

goc_add_test(chan_helpers ${_d}/chan_helpers.c TIMEOUT 60)
# GOC_CHAN_TYPE checks the element type at compile time.
add_test(NAME chan_typed_mismatch
  COMMAND ${CMAKE_C_COMPILER} -fsyntax-only -I${PROJECT_SOURCE_DIR}/include
          ${_d}/chan_typed_mismatch.c)
set_tests_properties(chan_typed_mismatch PROPERTIES LABELS chan
  PASS_REGULAR_EXPRESSION "incompatible pointer|incompatible-pointer-types")

goc_add_test(sync_mutex        ${_s}/mutex.c)
goc_add_test(sync_rwmutex      ${_s}/rwmutex.c)
goc_add_test(sync_wg_once_cond ${_s}/wg_once_cond.c)
goc_add_test(sync_tsan_clean   ${_s}/tsan_clean.c)
goc_add_test(sync_context      ${_s}/context.c TIMEOUT 60)
goc_add_test(sync_errgroup     ${_s}/errgroup.c TIMEOUT 60)
goc_add_fatal_test(sync_errgroup_limit_active ${_s}/errgroup_limit_active.c
  "fatal error: errgroup: modify limit while goroutines in the group are still active")
goc_add_fatal_test(sync_wg_negative ${_s}/wg_negative.c
  "fatal error: sync: negative WaitGroup counter")
goc_add_fatal_test(sync_unlock_unlocked ${_s}/mutex_unlock_unlocked.c
  "fatal error: sync: unlock of unlocked mutex")

# A racy program must be reported by TSan: the test passes on TSan's report
# of the race in writer() only (a crash or a CHECK failure does not count).
if(GOC_SANITIZE STREQUAL "thread")
  goc_add_test(sync_tsan_racy ${_s}/tsan_racy.c PROCS 2 8 TIMEOUT 60)
  set_tests_properties(sync_tsan_racy.p2 sync_tsan_racy.p8 PROPERTIES
    PASS_REGULAR_EXPRESSION "SUMMARY: ThreadSanitizer: data race [^\n]*tsan_racy\.c:[0-9:]+ in writer")
endif()

# Timers (issue 4): goc_sleep, goc_timer_*, select with a timer, idle CPU.
# Included by tests/CMakeLists.txt; each runs at every GOC_MAXPROCS.
set(_d ${CMAKE_CURRENT_LIST_DIR})
goc_add_test(time_sleep    ${_d}/time_sleep.c    TIMEOUT 60)
goc_add_test(time_sleepers ${_d}/time_sleepers.c TIMEOUT 120)
goc_add_test(time_timer    ${_d}/time_timer.c    TIMEOUT 60)
goc_add_test(time_select   ${_d}/time_select.c   TIMEOUT 60)
goc_add_test(time_idle     ${_d}/time_idle.c     TIMEOUT 60)
goc_add_test(time_procresize ${_d}/time_procresize.c TIMEOUT 60)
goc_add_test(time_nodeadlock ${_d}/time_nodeadlock.c TIMEOUT 30)
goc_add_test(time_heap ${_d}/time_heap.c TIMEOUT 60)
goc_add_test(time_free_firing ${_d}/time_free_firing.c TIMEOUT 60)
goc_add_test(time_after ${_d}/time_after.c TIMEOUT 60)
goc_add_test(time_after_func ${_d}/time_after_func.c TIMEOUT 60)
# goc_after misuse is loud: a second wait, another goroutine, send, close, free.
goc_add_fatal_test(time_after_misuse ${_d}/time_after_misuse.c
  "fatal error: .*goc_after channel"
  ARGS spent other send close free)

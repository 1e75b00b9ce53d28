# Core scheduler tests (issue: G/M/P core).
set(d ${CMAKE_CURRENT_LIST_DIR})
goc_add_test(basic ${d}/basic.c TIMEOUT 30)
# A million goroutines parked at once (~4.5 GB): once, alone, at P=2.
if(GOC_SANITIZE STREQUAL "thread" AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
  # Each goroutine is a TSan fiber, and gcc's libtsan counts fibers as
  # threads: it dies past 8128 alive ("Thread limit exceeded").  5000.
  goc_add_test(million ${d}/million.c TIMEOUT 120 PROCS 2 SERIAL ENV GOC_TEST_SCALE=200)
elseif(GOC_SANITIZE STREQUAL "thread")
  # clang's TSan: ~140 us and ~26 KB per parked goroutine; 10,000.
  goc_add_test(million ${d}/million.c TIMEOUT 120 PROCS 2 SERIAL ENV GOC_TEST_SCALE=100)
else()
  goc_add_test(million ${d}/million.c TIMEOUT 240 PROCS 2 SERIAL)
endif()
# Many goroutines runnable at once, all yielding (the 1M storm is a
# benchmark: goc-bench million).
if(GOC_SANITIZE STREQUAL "thread" AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
  # gcc's TSan switches fibers in O(fibers): 500 goroutines (10-40 s
  # with 2000 on a loaded machine).
  goc_add_test(yield_storm ${d}/yield_storm.c TIMEOUT 60 ENV GOC_TEST_SCALE=40)
else()
  goc_add_test(yield_storm ${d}/yield_storm.c TIMEOUT 60)
endif()
if(GOC_SANITIZE)
  # At P=1 two spinners need async preemption, off under sanitizers.
  goc_add_test(parallel ${d}/parallel.c TIMEOUT 60 PROCS 2 8)
else()
  goc_add_test(parallel ${d}/parallel.c TIMEOUT 60)
endif()
goc_add_test(steal ${d}/steal.c TIMEOUT 60)
goc_add_test(yield_fair ${d}/yield_fair.c TIMEOUT 60)
goc_add_test(yield_timers ${d}/yield_timers.c TIMEOUT 30)
goc_add_test(maxprocs ${d}/maxprocs.c TIMEOUT 60)
goc_add_test(maxprocs_race ${d}/maxprocs_race.c TIMEOUT 60)
goc_add_test(maxprocs_syscall ${d}/maxprocs_syscall.c TIMEOUT 30 PROCS 2)
goc_add_test(errno_keep ${d}/errno_keep.c TIMEOUT 60)
goc_add_test(runq_unit ${d}/runq_unit.c TIMEOUT 30 PROCS 1)
goc_add_test(runq_unit4 ${d}/runq_unit.c TIMEOUT 30 PROCS 1 LIB goc_rq4)
goc_add_test(yield_fair4 ${d}/yield_fair.c TIMEOUT 60 LIB goc_rq4)
goc_add_test(steal4 ${d}/steal.c TIMEOUT 60 LIB goc_rq4)
goc_add_test(syscall_handoff ${d}/syscall_handoff.c TIMEOUT 60)
goc_add_test(syscall_callback ${d}/syscall_callback.c TIMEOUT 60)
goc_add_test(idle_cpu ${d}/idle_cpu.c TIMEOUT 60 PROCS 1 2)
# goc_signal_notify / goc_signal_stop (Go's os/signal).
goc_add_test(signal_notify ${d}/signal_notify.c TIMEOUT 60)
# sysmon's /proc reads take no fd number from the program's table.
if(GOC_SANITIZE)
  goc_add_test(fd_quiet ${d}/fd_quiet.c TIMEOUT 30 PROCS 2 8)
else()
  goc_add_test(fd_quiet ${d}/fd_quiet.c TIMEOUT 30)
endif()
if(NOT GOC_SANITIZE)
  goc_add_test(preempt_loop ${d}/preempt_loop.c TIMEOUT 60)
  # The fallback where an M has no CPU-time timer: tgkill after a look.
  goc_add_test(preempt_loop_tgkill ${d}/preempt_loop.c TIMEOUT 60 PROCS 1 2
    ENV GOC_DEBUG=preempttgkill=1)
  # Signal preemption is off under sanitizers: nothing to interrupt there.
  goc_add_test(plain_sleep ${d}/plain_sleep.c TIMEOUT 30)
  # The same after computing: no signal lands once the thread sleeps.
  goc_add_test(sleep_signal_race ${d}/sleep_signal_race.c TIMEOUT 30 PROCS 1 2 SERIAL)
  # libgoc_lockcheck (DESIGN.md #4): a goroutine leaving its thread while
  # the thread holds a pthread lock is reported; correct use is not, and
  # cooperative preemption waits for the unlock.
  goc_add_fatal_test(lockcheck ${d}/lockcheck.c
    "goroutine [0-9]+ (blocked \\(|yielded|ended|must wait for a P).* while its thread holds pthread lock"
    ARGS park yield end recursive rwlock syscall LIBS goc_lockcheck)
  goc_add_test(lockcheck_ok ${d}/lockcheck_ok.c TIMEOUT 60 LIBS goc_lockcheck
    ENV GOC_DEBUG=asyncpreemptoff=1)
  # Both ways on a CPU shared with three spinning threads.
  goc_add_test(preempt_loaded ${d}/preempt_loaded.c TIMEOUT 30 PROCS 1 2)
  # goc_go without a P kept m->locks raised: no async preemption on that M.
  goc_add_test(preempt_go_syscall ${d}/preempt_go_syscall.c TIMEOUT 30 PROCS 1 2)
  # A spinner on a P that goc_maxprocs removes.
  goc_add_test(preempt_maxprocs ${d}/preempt_maxprocs.c TIMEOUT 30 PROCS 2)
  # A preempted G keeps its M (preempt.c): F1, F2, F3.
  goc_add_test(preempt_strand ${d}/preempt_strand.c TIMEOUT 30)
  # sysmon's deep sleep (every P idle) ends when a P leaves the idle list.
  goc_add_test(preempt_after_idle ${d}/preempt_after_idle.c TIMEOUT 30 PROCS 1 2)
  goc_add_test(preempt_oslock ${d}/preempt_oslock.c TIMEOUT 30)
  # A preemption signal whose frame cannot fit below a goroutine running
  # near the bottom of its stack: dropped, not a SIGSEGV death.
  goc_add_test(preempt_stack_edge ${d}/preempt_stack_edge.c TIMEOUT 30)
  goc_add_test(preempt_malloc ${d}/preempt_malloc.c TIMEOUT 30)
  # Linked -static, libc is the program's text: the signal can stop a G
  # inside malloc.  Only where a static libc is installed.
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_LINK_OPTIONS -static)
  check_c_source_compiles("#include <stdlib.h>\nint main(void){return malloc(1)==0;}"
                          GOC_HAVE_STATIC_LIBC)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(GOC_HAVE_STATIC_LIBC)
    goc_add_test(preempt_malloc_static ${d}/preempt_malloc.c TIMEOUT 30)
    target_link_options(test_preempt_malloc_static PRIVATE -static)
    if(GOC_HAVE_LIBDW)   # what libdw.a needs (goc.pc's Libs.private)
      target_link_libraries(test_preempt_malloc_static PRIVATE ${LIBDW_STATIC_LDFLAGS})
    endif()
  endif()
endif()
goc_add_fatal_test(deadlock ${d}/deadlock.c "fatal error: all goroutines are asleep - deadlock!")
if(NOT GOC_SANITIZE)
  # Sanitizers own SIGSEGV and use bigger frames; the guard is checked in
  # the plain build.
  # A sent SIGSEGV kills as without goc; an ignored one stays ignored.
  # Native only, as the overflow tests: the child is forked, and qemu-user
  # delivers the signals its own way.
  if(NOT CMAKE_CROSSCOMPILING)
    goc_add_test(segv_sent ${d}/segv_sent.c TIMEOUT 30 PROCS 2)
    goc_add_test(segv_sent_ign ${d}/segv_sent.c TIMEOUT 30 PROCS 2 ARGS ign)
  endif()
  goc_add_fatal_test(overflow ${d}/overflow.c "goroutine [0-9]+ stack overflow .*GOC_STACK=")
  # goc_go_stack's 2 MiB stack overflows: its guard, its size in the report.
  goc_add_fatal_test(overflow_class ${d}/overflow.c
    "goroutine [0-9]+ stack overflow \\(stack 2097152 bytes" ARGS big)
endif()
goc_add_test(pingpong_hog ${d}/pingpong_hog.c TIMEOUT 60 PROCS 1)
# F9: a fatal error flushes stdio first (stdout is a pipe here).
goc_add_fatal_test(fatal_flush ${d}/fatal_flush.c
  "^(fatal error: .+|SIGQUIT: quit)$"
  STDOUT "^last line before the fatal: [a-z]+$"
  ARGS deadlock closenil wgneg sigquit printing)
if(NOT GOC_SANITIZE)
  goc_add_fatal_test(sigquit ${d}/sigquit.c "goroutine [0-9]+ \\[chan receive")
  # Inherited as ignored (a script's background job): still dumps.
  # (Native only: under qemu-user the shell would exec the emulator.)
  if(NOT CMAKE_CROSSCOMPILING)
  add_test(NAME sigquit_ignored
    COMMAND ${CMAKE_COMMAND} -E env GOC_MAXPROCS=2
            sh ${PROJECT_SOURCE_DIR}/tests/expect_fatal.sh "goroutine [0-9]+ \\[chan receive"
            sh -c "trap '' QUIT; exec \"$0\"" $<TARGET_FILE:test_sigquit>)
  set_tests_properties(sigquit_ignored PROPERTIES TIMEOUT 60 LABELS core)
  endif()
endif()
goc_add_fatal_test(casgstatus_fatal ${d}/casgstatus_fatal.c
  "fatal error: casgstatus: bad transition waiting -> runnable of goroutine [0-9]+ \\(status running\\)")

# Bad GOC_* values are reported, never silently ignored (the program still
# runs, with the default).
foreach(bad "GOC_STACK=xyz|GOC_STACK=\"xyz\" is not a size"
            "GOC_STACK=1k|GOC_STACK=\"1k\" is not a size"
            "GOC_STACK=1g|GOC_STACK=\"1g\" is not a size"
            "GOC_MAXPROCS=2x|GOC_MAXPROCS=\"2x\" is not a positive number"
            "GOC_DEBUG=schedtrace=abc|schedtrace=\"abc\" is not a number")
  string(REPLACE "|" ";" pair "${bad}")
  list(GET pair 0 setting)
  list(GET pair 1 regex)
  string(REGEX REPLACE "[^A-Za-z0-9]" "_" tname "${setting}")
  add_test(NAME env_warn_${tname}
    COMMAND ${CMAKE_COMMAND} -E env ${setting} ${CMAKE_CROSSCOMPILING_EMULATOR}
            $<TARGET_FILE:test_basic>)
  set_tests_properties(env_warn_${tname} PROPERTIES TIMEOUT 30 LABELS core
    PASS_REGULAR_EXPRESSION "${regex}")
endforeach()

# schedtrace blocks are printed whole, even when the program exits at once.
if(TARGET hello AND NOT CMAKE_CROSSCOMPILING)
  add_test(NAME schedtrace_whole
    COMMAND sh ${d}/schedtrace_whole.sh $<TARGET_FILE:hello>)
  set_tests_properties(schedtrace_whole PROPERTIES TIMEOUT 60 LABELS core)
endif()
# Unannotated blocking calls (read, sleep, pthread_mutex_lock) at P=1: sysmon
# hands the blocked thread's P on (sysmon.c, REVOKE_* in runtime.h).
goc_add_test(blocked_call ${d}/blocked_call.c TIMEOUT 60 PROCS 1 2)
# system(3) and popen(3) from goroutines: fork/exec and an unannotated
# waitpid on the runtime's threads, the children's signal state, and the
# P handed on while one waits.  Native only: under qemu-user a child forked
# from a threaded program can stop for good inside qemu before its exec
# (seen at P=8: the forked children still ran the qemu binary, the parent
# waited in waitpid), a limit of the emulator, not of the runtime.
if(NOT CMAKE_CROSSCOMPILING)
  goc_add_test(child_process ${d}/child_process.c TIMEOUT 60 PROCS 1 2 8)
endif()
goc_add_test(stack_size ${d}/stack_size.c TIMEOUT 60)
goc_add_test(yield_preempted ${d}/yield_preempted.c TIMEOUT 60 PROCS 1 2)
goc_add_test(pless_park ${d}/pless_park.c TIMEOUT 60 PROCS 1 2)

# Symbolized dumps (src/symbolize.c): function names, file:line and
# "created by" in a deadlock dump of a program built -O2 with the flags
# goc.pc gives; linked against the static library, the shared one, and
# -static.  Needs libdw, and runs the program natively (not under qemu).
if(GOC_HAVE_LIBDW AND NOT CMAKE_CROSSCOMPILING)
  set(dumpflags -O2 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls)
  add_executable(test_dump_symbols ${d}/dump_symbols.c)
  target_compile_options(test_dump_symbols PRIVATE ${dumpflags})
  target_link_libraries(test_dump_symbols PRIVATE goc)
  add_executable(test_dump_symbols_shared ${d}/dump_symbols.c)
  target_compile_options(test_dump_symbols_shared PRIVATE ${dumpflags})
  target_link_libraries(test_dump_symbols_shared PRIVATE goc_shared)
  set(dumptests dump_symbols dump_symbols_shared)
  if(NOT GOC_SANITIZE)
    include(CheckCSourceCompiles)
    set(CMAKE_REQUIRED_LINK_OPTIONS -static)
    check_c_source_compiles("#include <stdlib.h>\nint main(void){return malloc(1)==0;}"
                            GOC_HAVE_STATIC_LIBC)
    unset(CMAKE_REQUIRED_LINK_OPTIONS)
    if(GOC_HAVE_STATIC_LIBC)
      add_executable(test_dump_symbols_static ${d}/dump_symbols.c)
      target_compile_options(test_dump_symbols_static PRIVATE ${dumpflags})
      target_link_libraries(test_dump_symbols_static PRIVATE goc ${LIBDW_STATIC_LDFLAGS})
      target_link_options(test_dump_symbols_static PRIVATE -static)
      list(APPEND dumptests dump_symbols_static)
    endif()
  endif()
  foreach(t IN LISTS dumptests)
    add_test(NAME ${t} COMMAND sh ${d}/dump_symbols.sh $<TARGET_FILE:test_${t}> ${d}/dump_symbols.c)
    set_tests_properties(${t} PROPERTIES TIMEOUT 60 LABELS core)
  endforeach()
endif()

# 10,000 parked goroutines start fast, under TSan as well (a TSan fiber per
# G, kept with the G on the free list).  gcc's libtsan cannot hold 10,000
# fibers (8128 at most): that build leaves it out (make test-tsan uses clang).
# Not under qemu-user either, whose page faults alone take seconds here.
if(NOT (GOC_SANITIZE STREQUAL "thread" AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
   AND NOT CMAKE_CROSSCOMPILING)
  goc_add_test(spawn_parked ${d}/spawn_parked.c TIMEOUT 60 PROCS 2 SERIAL)
endif()

# scripts/goc-gdb.py: "info goroutines" and "goroutine N bt" on a program
# stopped with three parked goroutines.  Needs gdb, a native run, and no
# sanitizer runtime under the debugger.
find_program(GOC_GDB gdb)
if(GOC_GDB AND NOT CMAKE_CROSSCOMPILING AND NOT GOC_SANITIZE)
  add_executable(test_gdb_goroutines ${d}/gdb_goroutines.c)
  target_compile_options(test_gdb_goroutines PRIVATE -O2 -g -fno-omit-frame-pointer
                         -fno-optimize-sibling-calls)
  target_link_libraries(test_gdb_goroutines PRIVATE goc)
  add_test(NAME gdb_goroutines
    COMMAND sh ${d}/gdb_goroutines.sh ${PROJECT_SOURCE_DIR}/scripts/goc-gdb.py
            $<TARGET_FILE:test_gdb_goroutines>)
  set_tests_properties(gdb_goroutines PROPERTIES TIMEOUT 60 LABELS core)
endif()
# A G's TSan fiber outlives its goroutine: 40,000 lives on one G.
goc_add_test(fiber_reuse ${d}/fiber_reuse.c TIMEOUT 60 PROCS 1)

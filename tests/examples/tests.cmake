# The examples that run to completion on their own (make demo runs them
# too), as tests, so a change that breaks one fails CI.  Small sizes; the
# examples check their own outcome and exit non-zero when it is wrong.
# add_test with a target runs it through CMAKE_CROSSCOMPILING_EMULATOR.
function(goc_example_test name target)
  if(TARGET ${target})
    foreach(p 1 2)
      add_test(NAME example_${name}.p${p} COMMAND ${target} ${ARGN})
      set_tests_properties(example_${name}.p${p} PROPERTIES TIMEOUT 60
        ENVIRONMENT "GOC_MAXPROCS=${p}" LABELS "${GOC_TEST_LABEL}")
    endforeach()
  endif()
endfunction()
goc_example_test(pipeline pipeline 20000 4)
goc_example_test(pipeline_fail pipeline 20000 4 777)
goc_example_test(ratelimit ratelimit 60 1000 8 20)
goc_example_test(chat chat 20 5)
goc_example_test(crawler crawler 500 8)
goc_example_test(sieve sieve 20)
goc_example_test(workers workers 20 4)
goc_example_test(timeout timeout 5 20)
goc_example_test(echo echo selftest)

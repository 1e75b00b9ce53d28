# Issue 11 (HTTP for real services): in-process servers driven by raw
# HTTP/1.1 clients on goc sockets (the end-to-end groups against a server
# process are e2e.py, registered in http/CMakeLists.txt).  Label http.
if(TARGET goc_http)
  goc_add_test(http_listen ${CMAKE_CURRENT_LIST_DIR}/http_listen.c LIB goc_http TIMEOUT 60)
  goc_add_test(http_file   ${CMAKE_CURRENT_LIST_DIR}/http_file.c   LIB goc_http TIMEOUT 60)
  goc_add_test(http_run_args ${CMAKE_CURRENT_LIST_DIR}/http_run_args.c LIB goc_http TIMEOUT 60)
endif()

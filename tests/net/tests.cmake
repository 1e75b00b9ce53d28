# Network (issue 4): the poller and goc_listen/accept/dial/read/write/close/
# set_deadline.  Loopback only; sizes bounded by RLIMIT_NOFILE.  Included by
# tests/CMakeLists.txt; each runs at every GOC_MAXPROCS.
set(_d ${CMAKE_CURRENT_LIST_DIR})
goc_add_test(net_echo     ${_d}/net_echo.c     TIMEOUT 120)
goc_add_test(net_close    ${_d}/net_close.c    TIMEOUT 60)
goc_add_test(net_deadline ${_d}/net_deadline.c TIMEOUT 60)
goc_add_test(net_emfile   ${_d}/net_emfile.c   TIMEOUT 60)
goc_add_test(net_ipv6     ${_d}/net_ipv6.c     TIMEOUT 60)
goc_add_test(net_idle     ${_d}/net_idle.c     TIMEOUT 120)
goc_add_test(net_foreign  ${_d}/net_foreign.c  TIMEOUT 60)
goc_add_test(net_close_race ${_d}/net_close_race.c TIMEOUT 60)
# Issue 12: the toolbox beyond TCP.
goc_add_test(net_waitfd   ${_d}/net_waitfd.c   TIMEOUT 60)
goc_add_test(net_dial     ${_d}/net_dial.c     TIMEOUT 60)
goc_add_test(net_conn     ${_d}/net_conn.c     TIMEOUT 60)
goc_add_test(net_bufio    ${_d}/net_bufio.c    TIMEOUT 60)
goc_add_test(net_unix     ${_d}/net_unix.c     TIMEOUT 60)
goc_add_test(net_udp      ${_d}/net_udp.c      TIMEOUT 60)
goc_add_test(net_write    ${_d}/net_write.c    TIMEOUT 60)
# Issue 11: sockets goc did not make, and sendfile.
goc_add_test(net_adopt    ${_d}/net_adopt.c    TIMEOUT 60)
goc_add_test(net_sendfile ${_d}/net_sendfile.c TIMEOUT 60)
goc_add_test(net_listen_fds ${_d}/net_listen_fds.c TIMEOUT 60)
# Issue 14: the io_uring poller's own contract (both pollers, as every
# net and http test: see goc_add_test's .epoll variants).
goc_add_test(net_uring    ${_d}/net_uring.c    TIMEOUT 90)

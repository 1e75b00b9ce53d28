# goc's http_hello as a container: a static binary on Debian, run as a
# non-root user.  deploy/k8s/ runs it; docs/operations.md explains the
# figures.  Build:  docker build -t goc-hello .
# Checked here without a Docker daemon (deploy/check.sh): the build
# stage's commands run on Debian 12 and give a static binary that serves
# as an unprivileged user; the file itself is linted.  The image build
# itself was not run (see docs/operations.md).

# ---- build: the libraries with CMake, then the program linked statically
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake make gcc libc6-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt goc.pc.in goc_http.pc.in ./
COPY cmake cmake
COPY src src
COPY include include
COPY http http
COPY examples examples
COPY bench bench
COPY scripts scripts
# GOC_LIBDW=OFF: libdw is not linked into a static binary; goroutine dumps
# then print what backtrace_symbols_fd gives (module+offset), not file:line
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGOC_TESTS=OFF -DGOC_LIBDW=OFF \
 && cmake --build /build -j"$(nproc)" --target lib \
 && cmake --install /build --prefix /opt/goc
RUN PKG_CONFIG_PATH=/opt/goc/lib/pkgconfig \
    cc -O2 -static -o /http_hello examples/http_hello.c \
       $(PKG_CONFIG_PATH=/opt/goc/lib/pkgconfig pkg-config --static --cflags --libs goc_http) \
 && ! ldd /http_hello 2>/dev/null

# ---- run: only the binary; numeric non-root user (runAsNonRoot can
# check it without a passwd entry)
FROM debian:12-slim
COPY --from=build /http_hello /usr/local/bin/http_hello
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
# 0 workers (one process per container: scale with replicas), 5000 ms of
# drain after SIGTERM; terminationGracePeriodSeconds in deploy/k8s covers
# 5 s + the 30 s shutdown deadline + slack
ENTRYPOINT ["/usr/local/bin/http_hello"]
CMD ["0.0.0.0:8080", "0", "5000"]

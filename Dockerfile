# provbadge worker image. Build stage: the project's own scripts on Debian bookworm.
# Runtime stage: only the shared libraries the binary links, the binary and the example
# configuration (mount your own over /etc/provbadge).
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN apt-get update -qq \
 && scripts/setup \
 && cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j"$(nproc)" --target provbadge

FROM debian:bookworm-slim AS runtime
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates curl libssl3 libsqlite3-0 libspdlog1.10 libfmt9 librabbitmq4 \
      libhiredis0.14 libsimdjson14 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/provbadge --create-home provbadge
COPY --from=build /build/worker/provbadge /usr/local/bin/provbadge
COPY config/provbadge.compose.json /etc/provbadge/provbadge.json
COPY config/policy.example.json /etc/provbadge/policy.example.json
COPY config/keys /etc/provbadge/keys
USER provbadge
WORKDIR /var/lib/provbadge
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
# SIGTERM: the worker stops taking deliveries, finishes or hands back in-flight ones within
# worker.shutdown_grace_ms, drains HTTP and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["provbadge"]
CMD ["worker", "--config", "/etc/provbadge/provbadge.json"]

# Switchboard in a container: the release server and its site (the console's WebAssembly split
# into chunks, precompressed), run as an unprivileged user with its data on a volume.
#
#   docker build -t switchboard .
#   docker run -p 3000:3000 -v switchboard-data:/data \
#     -e SWITCHBOARD_PUBLIC_URL=https://chat.example.com switchboard
#   docker run --rm -it -v switchboard-data:/data switchboard \
#     switchboard create-owner --workspace "Acme" --email you@acme.example --name "You"
#
# The build installs what it needs the way the README's commands do (scripts/setup.sh): the
# wasm32 target, cargo-leptos, the wasm-bindgen CLI that Cargo.lock pins, and the Tailwind CLI
# and binaryen from npm. Debian trixie's Node.js (20) runs the Tailwind CLI.

FROM rust:1-trixie AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN bash -c 'source scripts/setup.sh && setup_rust && setup_node' \
 && PATH="/src/node_modules/.bin:$PATH" cargo leptos build --release --split --precompress

FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin switchboard \
 && mkdir -p /data \
 && chown switchboard:switchboard /data
COPY --from=build /src/target/release/switchboard /usr/local/bin/switchboard
COPY --from=build /src/target/site /usr/local/share/switchboard/site
ENV SWITCHBOARD_LISTEN=0.0.0.0:3000 \
    SWITCHBOARD_DATA_DIR=/data \
    SWITCHBOARD_SITE_ROOT=/usr/local/share/switchboard/site
USER switchboard
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD curl -fsS http://127.0.0.1:3000/readyz || exit 1
# SIGTERM: open requests finish, then the database closes cleanly.
STOPSIGNAL SIGTERM
CMD ["switchboard", "serve"]

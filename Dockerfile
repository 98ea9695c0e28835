# Ferry in a container: a build stage, then a small runtime image running as a non-root user
# with the data folder on a volume. Not exercised by the test suite (no container runtime
# there); see "Operating Ferry" in README.md.
#
#   docker build --build-arg FERRY_GIT_REV=$(git rev-parse --short=12 HEAD) -t ferry .
#   docker run -p 7070:7070 -p 8080:8080 -v ferry-data:/data ferry
#
# Commands (exec) are off here: they need user namespaces, which a default container profile
# does not allow.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# .git is not copied (see .dockerignore); the revision for `ferry --version` comes from here.
ARG FERRY_GIT_REV=unknown
RUN FERRY_GIT_REV="$FERRY_GIT_REV" cargo build --release --locked --bin ferry

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin ferry \
 && mkdir -p /data /etc/ferry && chown ferry:ferry /data && chmod 0700 /data
COPY --from=build /src/target/release/ferry /usr/local/bin/ferry
COPY docs/ferry.toml /usr/local/share/doc/ferry/ferry.toml
USER ferry
VOLUME /data
EXPOSE 7070 8080
ENV FERRY_DATA=/data FERRY_LOG_FORMAT=json
ENTRYPOINT ["/usr/local/bin/ferry", "serve"]
# Both doors on every interface: put TLS in front (or add --tls-cert/--tls-key) before
# exposing them beyond the host.
CMD ["--tcp", "0.0.0.0:7070", "--http", "0.0.0.0:8080", "--no-exec"]

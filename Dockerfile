# syntax=docker/dockerfile:1
# ssoharness image: conformance (the default entrypoint) and mockidp, with Debian's Chromium.
# See docs/docker.md.
#
#   docker build -t ssoharness/ssoharness .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/report:/work/conformance-report" ssoharness/ssoharness
#   docker run --rm -p 127.0.0.1:7443:7443 --entrypoint mockidp ssoharness/ssoharness \
#     serve --addr 0.0.0.0:7443 --public-url http://localhost:7443
# (published on the host's loopback only; see docs/docker.md for the sign-in log's token)
#
# Stage 1 builds the binaries with cgo, so that they sign with OpenSSL (internal/signer: RSA
# signatures through libcrypto.so.3, loaded at run time, ~3x faster than Go's crypto/rsa);
# stage 2 is Debian 12 (bookworm) slim with Chromium, libssl3 and a non-root user. bookworm:
# the release the repository's tests and `make demo` run on, with the same chromium package
# (bookworm-security); both stages are bookworm because the binaries link bookworm's glibc.

ARG GO_VERSION=1.26.8
ARG DEBIAN_RELEASE=bookworm

FROM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Modules first, so that source edits do not invalidate the download layer.
COPY go.mod go.sum ./
RUN go mod download
# The context includes .git (see .dockerignore): `go build` stamps the module version and VCS
# revision from it, which `mockidp version` and `conformance version` print (there is no
# -ldflags -X version variable). Without .git they print "(devel)". BUILDVCS=false builds
# from a context whose .git git cannot read (e.g. a git worktree).
COPY . .
ARG BUILDVCS=auto
# golang:*-bookworm has gcc; libcrypto is dlopen'ed at run time, so no OpenSSL headers.
ENV CGO_ENABLED=1
RUN go build -trimpath -buildvcs=${BUILDVCS} -ldflags="-s -w" -o /out/ ./cmd/mockidp ./cmd/conformance \
 && /out/mockidp version \
 && /out/conformance version

FROM debian:${DEBIAN_RELEASE}-slim
# chromium-headless-shell: the browser conformance drives (Debian's Chromium without the
# desktop browser: a third of the CPU per sign-in and a smaller image) (found as $CHROMIUM, below; the runner always
# passes --headless --no-sandbox --disable-dev-shm-usage, so it runs as a non-root user
# without extra privileges and with Docker's 64 MB /dev/shm). fonts-liberation: text in the
# screenshots of the HTML report. ca-certificates: HTTPS to an SP (saml.metadataUrl). tini:
# PID 1 that forwards signals and reaps Chromium's helper processes. libssl3: libcrypto.so.3,
# which mockidp (and conformance's embedded mock) sign with; without it they fall back to Go's
# crypto/rsa (`mockidp version` says which). haproxy: the load balancer `--idp-replicas N`
# puts in front of the mock IdP's replicas (docs/scale.md).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates chromium-headless-shell fonts-liberation haproxy libssl3 tini \
 && rm -rf /var/lib/apt/lists/*
# /work: the working directory; reports go to /work/conformance-report (mount a host directory
# there). Both are world-writable (sticky, like /tmp) so that `docker run --user "$(id -u):$(id -g)"`
# works too. No VOLUME: a VOLUME on /work/conformance-report would shadow it with an anonymous
# volume even when the user mounts a project directory on /work.
RUN groupadd --system --gid 10001 ssoharness \
 && useradd --system --uid 10001 --gid ssoharness --create-home --home-dir /home/ssoharness \
      --shell /usr/sbin/nologin ssoharness \
 && mkdir -p /work/conformance-report /home/ssoharness/.cache \
 && chown ssoharness:ssoharness /work /work/conformance-report /home/ssoharness/.cache \
 && chmod 1777 /work /work/conformance-report
COPY --from=build /out/mockidp /out/conformance /usr/local/bin/
# The image signs with OpenSSL: fail the build if libcrypto.so.3 cannot be loaded here.
RUN mockidp version && mockidp version | grep -q ' signer openssl '
# Sample data: the mock IdP directory of the README and the example target files.
COPY fixtures/contoso.yaml fixtures/*.crt fixtures/*.key /usr/share/ssoharness/fixtures/
COPY fixtures/targets/examples/ /usr/share/ssoharness/fixtures/targets/examples/
# CHROMIUM: the browser conformance launches (its default search would find the same one).
# XDG_CACHE_HOME: mockidp keeps generated signing keys in $XDG_CACHE_HOME/ssoharness/keys;
# mount a named volume on /home/ssoharness/.cache to keep them between containers.
ENV CHROMIUM=/usr/bin/chromium-headless-shell \
    XDG_CACHE_HOME=/home/ssoharness/.cache
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /work
# mockidp's port (used with --entrypoint mockidp); publish it as -p 127.0.0.1:7443:7443. No HEALTHCHECK: the default command is a
# batch run, not a server; `mockidp serve` has GET /_mockidp/ready for an orchestrator's probe.
EXPOSE 7443
LABEL org.opencontainers.image.title="ssoharness" \
      org.opencontainers.image.description="Mock Microsoft Entra ID (mockidp) and SSO conformance harness (conformance) with Debian's Chromium" \
      org.opencontainers.image.source="https://github.com/ssoharness/ssoharness"
# `docker run IMAGE` = `conformance run` (the built-in reference SPs); `docker run IMAGE list`,
# `... IMAGE run --target sso-target.yaml`; mockidp: `docker run --entrypoint mockidp IMAGE serve ...`
# (--entrypoint also drops this CMD, so give mockidp's arguments in full).
ENTRYPOINT ["/usr/bin/tini", "--", "conformance"]
CMD ["run"]

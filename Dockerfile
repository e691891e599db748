# syntax=docker/dockerfile:1
# ssoharness images. See docs/docker.md.
#
#   docker build -t ssoharness/mockidp .
#   docker run --rm -p 7443:7443 ssoharness/mockidp
#
# Stage 1 builds static binaries; stage 2 is a small Debian with a non-root user. The
# conformance binary will join mockidp here, with Chromium (see the note below).

ARG GO_VERSION=1.26.8
ARG DEBIAN_RELEASE=trixie

FROM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Modules first, so that source edits do not invalidate the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/mockidp ./cmd/mockidp
# Later: RUN go build -trimpath -ldflags="-s -w" -o /out/conformance ./cmd/conformance

FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates: to fetch an SP's metadata over HTTPS. Later, for cmd/conformance, add
# chromium and fonts-liberation here (and run Chromium with --no-sandbox or a seccomp profile).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ssoharness \
 && useradd --system --uid 10001 --gid ssoharness --create-home --home-dir /home/ssoharness ssoharness
COPY --from=build /out/mockidp /usr/local/bin/mockidp
COPY fixtures /usr/share/ssoharness/fixtures
USER ssoharness:ssoharness
WORKDIR /home/ssoharness
# Generated signing keys (and the TLS CA with --tls) are kept here: mount a volume to keep
# the same certificate across containers.
ENV XDG_CACHE_HOME=/home/ssoharness/.cache
VOLUME ["/home/ssoharness/.cache"]
EXPOSE 7443
ENTRYPOINT ["mockidp"]
# In a container the server must listen on all interfaces; browsers and SPs on the host
# reach it through the published port, hence the public URL.
CMD ["serve", "--addr", "0.0.0.0:7443", "--public-url", "http://localhost:7443"]

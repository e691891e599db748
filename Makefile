# ssoharness — the two commands of the README:
#   make demo   run the conformance suite against the built-in reference SPs (embedded mock
#               Entra ID, headless Chromium) and print where the report is
#   make test   install what the tests need (when missing) and run every test
# Other targets: build, race, soak, fuzz, vet, fmt-check, clean. Works as root on a fresh Debian machine
# (installs missing tools with apt-get, non-interactively) and as a user that already has them.

SHELL       := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

GO_VERSION  := 1.26.8
# Go is usually installed in /usr/local/go; look there too.
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export DEBIAN_FRONTEND := noninteractive

GO          ?= go
BIN         := bin
TEST_TIMEOUT ?= 40m
FUZZTIME    ?= 10s
# Minimizing a new corpus entry may take 60 s by default, all of a short run: cap it.
FUZZMINTIME ?= 2s
DEMO_ARGS   ?=
REPORT_DIR  ?= conformance-report

# Debian's multiarch directory of the shared libraries (x86_64-linux-gnu, aarch64-linux-gnu).
MULTIARCH   := $(shell uname -m)-linux-gnu

# Commands the build and tests need, as command:debian-package. git: go build stamps the VCS
# revision. Add to this list when a test starts to need a tool (e.g. xmlsec1:xmlsec1 for
# tests that verify signatures with xmlsec1). chromium, chromium-headless-shell: the
# conformance runner and its end-to-end tests drive Debian's Chromium (never a downloaded
# browser); the headless shell, the same engine without the desktop browser, is preferred:
# it signs in for a third of the CPU. An entry
# that starts with / is a file to test for: Apache, its SSO modules and Shibboleth's shibd, the
# real SPs the tests of fixtures/sp/apache start as private instances (the system Apache and
# shibd are never used). libapache2-mod-shib depends on shibboleth-sp-utils (shibd).
# gcc: cgo, which the OpenSSL signer needs (internal/signer: RSA signatures through OpenSSL's
# libcrypto.so.3, package libssl3, loaded at run time; ~3x faster than Go's crypto/rsa);
# without cgo the binaries build but sign with crypto/rsa. haproxy: the round-robin load
# balancer the replica tests put in front of two mock IdPs (fixtures/lb/haproxy runs it as a
# private process; the system service is never used).
TEST_TOOLS  := git:git gcc:gcc /usr/lib/$(MULTIARCH)/libcrypto.so.3:libssl3 \
               xmlsec1:xmlsec1 chromium:chromium chromium-headless-shell:chromium-headless-shell \
               /usr/sbin/apache2:apache2 \
               /usr/lib/apache2/modules/mod_auth_mellon.so:libapache2-mod-auth-mellon \
               /usr/lib/apache2/modules/mod_auth_openidc.so:libapache2-mod-auth-openidc \
               /usr/lib/apache2/modules/mod_shib.so:libapache2-mod-shib \
               /usr/sbin/shibd:libapache2-mod-shib \
               /usr/sbin/haproxy:haproxy

# sudo when not root and sudo exists; nothing otherwise.
SUDO := $(shell [ "$$(id -u)" = 0 ] || ! command -v sudo >/dev/null || echo sudo)

.PHONY: all test demo serve build race soak fuzz vet fmt-check deps tools go clean sp-binaries

all: build

## go: check that Go $(GO_VERSION) (or newer) is on PATH. The machines this runs on reach only
## package registries, not go.dev, so the Makefile cannot fetch a toolchain by itself.
go:
	@command -v $(GO) >/dev/null || { echo "make: Go $(GO_VERSION) is required (not found on PATH or in /usr/local/go)"; exit 1; }

## tools: apt-get install the commands in TEST_TOOLS that are missing (update first, once).
tools:
	@missing=""; \
	for t in $(TEST_TOOLS); do \
	  c="$${t%%:*}"; \
	  case "$$c" in /*) [ -e "$$c" ] && continue;; *) command -v "$$c" >/dev/null && continue;; esac; \
	  case "$$missing " in *" $${t#*:} "*) continue;; esac; \
	  missing="$$missing $${t#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

## deps: download the Go modules.
deps: go
	$(GO) mod download

vet: deps
	$(GO) vet ./...

## fmt-check: fail, listing them, when files are not gofmt-formatted.
fmt-check: go
	@out=$$(find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -print0 | xargs -0 -r gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$out"; exit 1; fi

## sp-binaries: build the real SPs that are not Debian packages before the tests, showing
## progress: oauth2-proxy, from its Go module at the pinned version through the Go module
## proxy, into ~/.cache/ssoharness/oauth2-proxy/<version> (about 1.5 minutes on 2 cores the
## first time, nothing afterwards; the tests would build it too, silently).
sp-binaries: deps
	$(GO) test -count=1 -run '^TestBinary$$' -v ./fixtures/sp/oauth2proxy

## test: every test of the module.
test: tools deps vet fmt-check sp-binaries
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## build: the binaries into bin/, with cgo so that they sign with OpenSSL (mockidp version
## says which signer: CGO_ENABLED=0 make build gives static binaries signing with Go).
build: tools deps
	@mkdir -p $(BIN)
	CGO_ENABLED=$${CGO_ENABLED:-1} $(GO) build -trimpath -o $(BIN)/mockidp ./cmd/mockidp
	CGO_ENABLED=$${CGO_ENABLED:-1} $(GO) build -trimpath -o $(BIN)/conformance ./cmd/conformance
	./$(BIN)/mockidp version

## demo: the main job — the whole conformance catalog against the built-in reference SPs
## (strict crewjam/saml and coreos/go-oidc SPs) with the embedded mock Entra ID, in headless
## Chromium; prints a verdict per check and where the report is. Exit 0 when all pass.
## Example: make demo DEMO_ARGS="--parallel 4 --only 'saml.*'"
demo: build
	./$(BIN)/conformance run --report-dir $(REPORT_DIR) $(DEMO_ARGS)
	@echo "make demo: open $(REPORT_DIR)/index.html (JUnit: $(REPORT_DIR)/junit.xml, JSON: $(REPORT_DIR)/report.json)"

## serve: the mock Entra ID alone, with the default directory on http://127.0.0.1:7443,
## printing the values an admin copies into an SP (Ctrl-C stops it).
serve: build
	./$(BIN)/mockidp serve $(SERVE_ARGS)

## race: the tests that drive the server concurrently (control API, sign-ins, the log), in a
## -race build.
race: deps
	$(GO) test -race -count=1 -run '^(TestRace|TestFaultsParallel)' ./idp

## soak: the reliability suite in full, printing its figures (requests, statuses, 5xx, panics;
## RSS before and after): the malformed-input sweep (idp/testdata/sweep) with each value
## variant in every target parameter, the memory bound of `mockidp serve` over 2,000 oversized
## requests, and SIGTERM under load. `make test` runs the short form of the same tests (the
## sweep rotating the target parameter, 400 oversized requests): MOCKIDP_SOAK unset.
soak: deps
	MOCKIDP_SOAK=full $(GO) test -count=1 -v -run '^TestSweep$$' ./idp 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT|NAME)'
	MOCKIDP_SOAK=full $(GO) test -count=1 -v -run '^(TestServeRSSOversized|TestServeSIGTERMUnderLoad)$$' ./cmd/mockidp 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT|NAME)'

## fuzz: run each fuzz test of the module for FUZZTIME (default 10s).
fuzz: deps
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' "$$pkg" | grep '^Fuzz' || true); do \
	    echo "$(GO) test -run '^$$' -fuzz '^$$f$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) $$pkg"; \
	    $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) "$$pkg"; \
	  done; \
	done

clean:
	rm -rf $(BIN) $(REPORT_DIR)
	$(GO) clean -testcache -fuzzcache 2>/dev/null || true

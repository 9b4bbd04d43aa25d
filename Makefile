# nodekit build entry points. The real work is in scripts/ (see the comments
# there); this file only names it. Needs Go, a JDK (17+), Maven, gcc and make.
#
#   make test           Go tests (race), Android check, Java + Kotlin tests, ProGuard check
#   make jar            build/nodekit.jar: bindings + libgojni.so for this machine
#   make install        dev.nodekit:nodekit and dev.nodekit:nodekit-ktx into ~/.m2
#   make aar            build/nodekit.aar (needs an Android SDK + NDK)
#   make android-check  generated Java compiles against android.jar
#   make demo / bench   run the Go example / the benchmarks

SHELL := /usr/bin/env bash
GO ?= go
# The lifecycle comparison in bench/: runs per library and -benchtime
# (e.g. make bench BENCH_COUNT=10 BENCHTIME=3s).
BENCH_COUNT ?= 5
BENCHTIME ?= 300x

.PHONY: all test test-go test-java android-check jar aar demo bench clean
# The targets share build/ (android-check and test-java both regenerate
# build/_gobind): never run them side by side, even under make -j.
.NOTPARALLEL:

all: jar

test: test-go android-check test-java proguard-check

test-go:
	$(GO) test -race -count=1 ./...

# Builds the native library and the jar, then runs the Java and Kotlin tests.
test-java:
	scripts/build-jvm.sh --test

# ProGuard over the consumer app + the jars with the keep rules nodekit.jar
# ships, then the shrunk app runs (needs test-java's jars).
.PHONY: proguard-check
proguard-check:
	scripts/proguard-check.sh

android-check:
	scripts/android-check.sh

jar:
	scripts/build-jvm.sh

# dev.nodekit:nodekit and dev.nodekit:nodekit-ktx, with sources and Javadoc jars,
# into the local Maven repository (java/README.md).
.PHONY: install
install:
	scripts/build-jvm.sh --install

aar:
	@scripts/build-aar.sh

demo:
	$(GO) run ./examples/node

bench:
	cd bench && COUNT=$(BENCH_COUNT) BENCHTIME=$(BENCHTIME) ./report.sh
	$(GO) test -run '^$$' -bench 'Idle|Latency/ticker' -benchtime=1x ./core/processor
	$(GO) test -run '^$$' -bench 'Events|Latency/processor|Stop' ./core/processor
	$(MAKE) bench-worker

# Worker processes side by side with hashicorp/go-plugin (bench/worker);
# e.g. make bench-worker WORKER_BENCH_COUNT=5.
WORKER_BENCH_COUNT ?= 3
.PHONY: bench-worker
bench-worker:
	cd bench/worker && COUNT=$(WORKER_BENCH_COUNT) ./report.sh

clean:
	rm -rf build java/*/target examples/*/target

# JVM examples and benchmarks. Each rebuilds build/nodekit.jar first.
.PHONY: bench-p2p dchat

# Peer benchmarks, each beside its baseline on bare net.Conns: handshake
# (median-µs), 32-byte messages one way (msgs/s), memory per idle peer with
# 1,000 connections (B/peer).
bench-p2p:
	$(GO) test -run '^$$' -bench 'Handshake' -benchtime 2000x -count 3 ./core/peer
	$(GO) test -run '^$$' -bench 'Messages' -benchtime 500000x -count 3 ./core/peer
	$(GO) test -run '^$$' -bench 'IdleMemory' -benchtime 1x -count 3 ./core/peer

# A dchat node listening on DCHAT_LISTEN; more with: go run ./examples/dchat --help
DCHAT_LISTEN ?= tcp://127.0.0.1:7001
dchat:
	$(GO) run ./examples/dchat --listen $(DCHAT_LISTEN) --nick $(USER)

.PHONY: demo-java demo-kotlin bench-java churn-java

# Runs examples/java (ProcessorExample, then GroupExample); run it twice: the
# counter continues where it stopped.
demo-java: jar
	scripts/run-jvm-example.sh java

# The same in Kotlin (examples/kotlin).
demo-kotlin: jar
	scripts/run-jvm-example.sh kotlin

# Two p2p nodes chatting on loopback in one JVM (examples/java,
# examples/kotlin DchatExample).
.PHONY: demo-java-dchat demo-kotlin-dchat
demo-java-dchat: jar
	scripts/run-jvm-example.sh java DchatExample
demo-kotlin-dchat: jar
	scripts/run-jvm-example.sh kotlin DchatExample

# JMH benchmarks of the bindings (java/bench); JMH_OPTS replaces the default
# settings, e.g. make bench-java JMH_OPTS='-f 1 -i 5 -r 5s'.
bench-java: jar
	scripts/bench-java.sh

# The long churn series of the JVM bindings (100,000 start/stop cycles each,
# 1,000,000 events); a bounded version runs in make test.
churn-java:
	scripts/churn-java.sh

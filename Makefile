# Build, test and run the AI gateway and its analytics service. `make help` lists the targets.
MVN ?= mvn -B
GATEWAY_JAR := gateway-service/target/gateway-service.jar
ANALYTICS_JAR := analytics-service/target/analytics-service.jar

.PHONY: help build test soak reconcile run services migrate bench clean clean-test-data

# make soak: how long the steady mixed load runs, how many requests a second, and whether it streams.
SOAK_DURATION ?= 5m
SOAK_RATE ?= 20
SOAK_STREAMING ?= true

help:
	@echo "make build            compile and package both services (runnable jars in */target/)"
	@echo "make test             every unit and integration test, against the local PostgreSQL and RabbitMQ"
	@echo "make soak             $(SOAK_DURATION) of steady mixed load on real processes (SOAK_DURATION, SOAK_RATE, SOAK_STREAMING)"
	@echo "make reconcile        compare request history with analytics per user and day (config/analytics.yml)"
	@echo "make run              build, create and migrate databases, start both services, print a demo curl"
	@echo "make services         start PostgreSQL and RabbitMQ if nothing listens on their ports"
	@echo "make migrate          apply both services' database migrations (config/*.yml)"
	@echo "make bench            benchmarks, not part of make test: gateway vs Portkey vs direct, analytics pipeline,"
	@echo "                      5,000 streams, history at 10M rows; writes docs/benchmarks.md (BENCH_QUICK=1: short)"
	@echo "make clean-test-data  drop databases and vhosts left behind by interrupted test runs"
	@echo "make clean            remove build output"

build:
	scripts/ensure-toolchain.sh
	$(MVN) -q -DskipTests package

test:
	scripts/ensure-toolchain.sh
	scripts/ensure-services.sh
	$(MVN) verify

soak:
	scripts/ensure-toolchain.sh
	scripts/ensure-services.sh
	$(MVN) verify -pl end-to-end-tests -am -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dsoak.duration=$(SOAK_DURATION) -Dsoak.rate=$(SOAK_RATE) -De2e.streaming=$(SOAK_STREAMING); \
	  status=$$?; cat end-to-end-tests/target/soak-report.txt 2>/dev/null; exit $$status

reconcile: build
	java -jar $(ANALYTICS_JAR) reconcile config/analytics.yml

run: build
	scripts/run.sh

services:
	scripts/ensure-services.sh

migrate: build
	java -jar $(GATEWAY_JAR) db migrate config/gateway.yml
	java -jar $(ANALYTICS_JAR) db migrate config/analytics.yml

bench: build
	scripts/bench/run.sh

clean-test-data:
	psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'aigw\_test\_%'" \
	  | while read -r db; do [ -n "$$db" ] && psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE \"$$db\" WITH (FORCE)"; done; true
	rabbitmqctl -q list_vhosts name | grep '^aigw_test_' | while read -r vh; do rabbitmqctl -q delete_vhost "$$vh"; done; true

clean:
	$(MVN) -q clean

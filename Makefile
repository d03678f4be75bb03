# The two commands of the README. Both install what is missing (Debian 12) first.
.PHONY: run test build format bench web cluster

run: web        ## build and start Relay on http://127.0.0.1:8080 (SQLite under ./var)
	@scripts/run.sh $(ARGS)

web:            ## build the browser client into web/dist (Node and npm installed if missing)
	@scripts/deps.sh run
	@scripts/web.sh

cluster:        ## three nodes on throwaway Redis + Postgres behind nginx on http://127.0.0.1:8080
	@scripts/cluster.sh

test:           ## build under ASan+UBSan, start throwaway Redis + Postgres, run every test
	@scripts/test.sh

build:
	@scripts/build.sh build

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

bench:          ## benchmarks/run.sh: load generator against a fresh server
	@benchmarks/run.sh

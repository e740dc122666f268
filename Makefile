# The two commands: `make demo` and `make test` (see README). `make bench` measures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPEED ?= 1
CROWD ?= 1

.PHONY: demo test bench lint system-deps clean

system-deps:
	@scripts/system-deps.sh

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[api,agent,pos,demo,test]'
	touch $(STAMP)

# The whole store in one terminal (demo/__main__.py). SPEED=10: the simulated day runs
# ten times faster; CROWD=0: no simulated shoppers, the stores wait for you; PORT: the
# API's port (the cashier panel and the staff guide take the next two).
PORT ?= 8000
demo: system-deps $(STAMP)
	$(BIN)/python -m demo --var var --speed $(SPEED) --crowd $(CROWD) --ports-from $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check rewards_protocol rewards_api beacon_agent pos_plugin demo tests bench
	$(BIN)/mypy

test: system-deps $(STAMP) lint
	$(BIN)/python -m pytest

bench: system-deps $(STAMP)
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) var

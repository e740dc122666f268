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
	$(BIN)/pip install -q -e '.[api,agent,pos,test]'
	touch $(STAMP)

demo: system-deps $(STAMP)
	mkdir -p var
	$(BIN)/rewards-api db upgrade
	$(BIN)/rewards-api seed-demo
	@echo "API: http://127.0.0.1:8000/docs  (keys: var/demo.json)"
	$(BIN)/gunicorn -c rewards_api/gunicorn_conf.py 'rewards_api:create_app()'

lint: $(STAMP)
	$(BIN)/ruff check rewards_protocol rewards_api beacon_agent pos_plugin tests bench

test: system-deps $(STAMP) lint
	$(BIN)/python -m pytest

bench: system-deps $(STAMP)
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) var

# The two commands: `make demo` and `make test` (see README). `make bench` measures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPEED ?= 1
CROWD ?= 1

.PHONY: demo test bench lint lock system-deps clean i18n

system-deps:
	@scripts/system-deps.sh

EXTRAS := api,agent,pos,demo,test

# Every Python package is installed at the version pinned in constraints.txt.
$(STAMP): setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt pip
	$(BIN)/pip install -q -c constraints.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

# Re-resolve setup.cfg's version ranges to the newest releases in a scratch venv and
# write the pins to constraints.txt (after adding or upgrading a dependency); then
# `make test` and commit constraints.txt.
LOCK_VENV := var/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q --upgrade pip
	$(LOCK_VENV)/bin/pip install -q -e '.[$(EXTRAS)]'
	( echo "# Pins for every Python package of .[$(EXTRAS)]; made by make lock, do not edit."; \
	  $(LOCK_VENV)/bin/pip freeze --all --exclude-editable | grep -v '^setuptools==\|^wheel==' ) > constraints.txt
	rm -rf $(LOCK_VENV)
	rm -f $(STAMP)

# The whole store in one terminal (demo/__main__.py). SPEED=10: the simulated day runs
# ten times faster; CROWD=0: no simulated shoppers, the stores wait for you; PORT: the
# API's port (the cashier panel and the staff guide take the next two).
PORT ?= 8000
demo: system-deps $(STAMP)
	$(BIN)/python -m demo --var var --speed $(SPEED) --crowd $(CROWD) --ports-from $(PORT)

# Translations (README, "Languages"): extract every English text of the API and of the
# register's panel into its catalog template, merge it into each language's catalog
# (new texts arrive untranslated), compile the .mo files (committed, so that a fresh clone
# runs without this step), then list what still needs translating.
I18N_PACKAGES := rewards_api pos_plugin
I18N_LANGUAGES := de pt
I18N_KEYWORDS := -k N_ -k ErrorCode:3 -k ApiError:2 -k RewardsError:2 -k NotEligible:2 -k unique:3 -k t
i18n: $(STAMP)
	set -e; for package in $(I18N_PACKAGES); do \
	  dir=$$package/translations; \
	  $(BIN)/pybabel -q extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output \
	    --project proximity-rewards -o $$dir/messages.pot $$package; \
	  for language in $(I18N_LANGUAGES); do \
	    $(BIN)/pybabel -q update -i $$dir/messages.pot -d $$dir -l $$language \
	      --init-missing --no-fuzzy-matching --ignore-obsolete; \
	  done; \
	  $(BIN)/pybabel compile -d $$dir --statistics; \
	done
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_translations.py

lint: $(STAMP)
	$(BIN)/ruff check rewards_protocol rewards_api beacon_agent pos_plugin demo tests bench
	$(BIN)/mypy

test: system-deps $(STAMP) lint
	$(BIN)/python -m pytest

bench: system-deps $(STAMP)
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) var

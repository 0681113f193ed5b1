# Two entry points for a fresh machine (Python 3.11+ and make are all it needs):
#   make demo   create .venv, install roadbed, run the demo survey end to end
#   make test   create .venv, install roadbed with the dev extra, run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= demo_output
BENCH_ARGS ?= --quick

.PHONY: demo test venv install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[las]"

install-dev: $(BIN)/python
	@# open3d (pointcloud extra, part of dev) needs the system's libusb-1.0: Debian's libusb-1.0-0
	@ldconfig -p 2>/dev/null | grep -q libusb-1.0 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && apt-get install -y -qq libusb-1.0-0 >/dev/null; } \
		|| echo "libusb-1.0 is missing: the open3d tests will be skipped"
	$(BIN)/python -m pip install --quiet -e ".[dev]"

demo: install
	$(BIN)/roadbed demo --out $(OUT)

test: install-dev
	$(BIN)/python -m pytest -q

bench: install-dev
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build src/*.egg-info

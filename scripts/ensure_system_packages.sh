#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing: Chromium and its driver for the
# browser test (Playwright drives /usr/bin/chromium; it never downloads a browser of its own) and
# bubblewrap for the grader's sandbox, npm for axe-core. Needs root or sudo; says what to do otherwise.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v npm >/dev/null 2>&1 || need+=(npm)  # installs axe-core (tools/) for the accessibility checks
[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "Please install as root: apt-get install ${need[*]}" >&2; exit 1; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

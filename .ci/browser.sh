# Sourced by the test script: Debian's Chromium and the end-to-end test's npm packages.
if ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
export CHROMIUM="$(command -v chromium)"
if [ ! -d end2end/node_modules/@playwright/test ]; then
  say "installing the end-to-end test packages"
  (cd end2end && npm ci --no-audit --no-fund)
fi

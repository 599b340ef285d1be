# Sourced by the scripts in .ci/: puts every tool the build needs on PATH, installing
# whatever is missing. Safe to source again: a warm machine installs nothing.
# Nothing is downloaded except from the package registries (rustup's toolchain aside).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${RECTIFY_CACHE:-$HOME/.cache/rectify}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PATH="$HOME/.cargo/bin:$CACHE/npm/node_modules/.bin:$PATH"
mkdir -p "$CACHE"
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.11
BINARYEN_VERSION=132

say() { printf '\n==> %s\n' "$*"; }

# The pinned toolchain, wasm target and components (rust-toolchain.toml).
rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (once per machine, ~15 min)"
  cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION"
fi

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Without --locked: its lock file wants a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt for release builds, from npm (Debian's binaryen 108 breaks hydration).
if ! "$CACHE/npm/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "$BINARYEN_VERSION"; then
  say "installing wasm-opt (binaryen $BINARYEN_VERSION)"
  npm install --prefix "$CACHE/npm" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
fi

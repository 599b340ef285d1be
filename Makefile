run:
	bash .ci/serve

test:
	bash .ci/test

dev:
	bash -c 'source .ci/tools.sh && RECTIFY_DB=mem:// RECTIFY_DEMO=true cargo leptos watch'

# The benchmark: a synthetic province, every budget checked (README, "Speed").
bench:
	bash .ci/bench

# Clippy for the server half (ssr) and the browser half (hydrate), warnings as errors.
lint:
	bash -c 'source .ci/tools.sh && cargo clippy -p app -p server --features app/ssr --tests -- -D warnings && cargo clippy -p app --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings'

.PHONY: run test dev lint bench

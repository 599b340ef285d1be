run:
	bash .ci/serve

test:
	bash .ci/test

dev:
	bash -c 'source .ci/tools.sh && RECTIFY_DB=mem:// RECTIFY_DEMO=true cargo leptos watch'

.PHONY: run test dev

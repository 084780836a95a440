# Conveniences over the scripts the README names; each installs what it needs first.
.PHONY: demo test bench fuzz

demo:
	scripts/demo.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh

# Conveniences over the scripts the README names; each installs what it needs first.
.PHONY: demo test bench fuzz soak

demo:
	scripts/demo.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh

# A live job on a looping input, sampled every 30 s (SOAK_MINUTES, default 30); not in `make test`.
soak:
	scripts/soak.sh

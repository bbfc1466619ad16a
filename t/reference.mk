# t/reference.mk - end-to-end tests of --reference (a sampled run of the
# plain build merged with the hooked run). The script builds its program.
REFERENCE_TESTS = t/e2e-reference.sh
TESTS += $(REFERENCE_TESTS)
EXTRA_DIST += $(REFERENCE_TESTS) t/progs/reference.c

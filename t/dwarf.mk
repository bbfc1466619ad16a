# t/dwarf.mk - end-to-end test of --call-graph=dwarf: stack samples
# unwound with libunwind. The script builds its own program.
DWARF_TESTS = t/e2e-dwarf.sh
TESTS += $(DWARF_TESTS)
EXTRA_DIST += $(DWARF_TESTS) t/progs/dwarfpaths.c

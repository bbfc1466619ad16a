/*
 * wide.c - a program with many functions of unequal weights, for the
 * terminal layout of the table (t/e2e-term.sh): 60 functions, a third of
 * them with names too long for any terminal, the first three hot enough
 * to be coloured (about 45 %, 18 % and 10 % of the work), the rest a
 * long tail, so that a terminal shows the top rows and says how many more
 * there are. Its argument scales the work (default 5000).
 */
#include <stdlib.h>

#include "progs.h"

static unsigned long scale = 5000;

/* Each function spins WEIGHT times SCALE: CPU work, not wall time. */
static inline NOINSTR void work(unsigned long weight)
{
	for (unsigned long k = 0; k < weight * scale; k++)
		sink += k;
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_00(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_00(void)
{
	work(3000);
}

COUNTED void f01(void);
COUNTED void f01(void)
{
	work(1200);
}

COUNTED void f02(void);
COUNTED void f02(void)
{
	work(700);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_03(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_03(void)
{
	work(228);
}

COUNTED void f04(void);
COUNTED void f04(void)
{
	work(224);
}

COUNTED void f05(void);
COUNTED void f05(void)
{
	work(220);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_06(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_06(void)
{
	work(216);
}

COUNTED void f07(void);
COUNTED void f07(void)
{
	work(212);
}

COUNTED void f08(void);
COUNTED void f08(void)
{
	work(208);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_09(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_09(void)
{
	work(204);
}

COUNTED void f10(void);
COUNTED void f10(void)
{
	work(200);
}

COUNTED void f11(void);
COUNTED void f11(void)
{
	work(196);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_12(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_12(void)
{
	work(192);
}

COUNTED void f13(void);
COUNTED void f13(void)
{
	work(188);
}

COUNTED void f14(void);
COUNTED void f14(void)
{
	work(184);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_15(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_15(void)
{
	work(180);
}

COUNTED void f16(void);
COUNTED void f16(void)
{
	work(176);
}

COUNTED void f17(void);
COUNTED void f17(void)
{
	work(172);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_18(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_18(void)
{
	work(168);
}

COUNTED void f19(void);
COUNTED void f19(void)
{
	work(164);
}

COUNTED void f20(void);
COUNTED void f20(void)
{
	work(160);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_21(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_21(void)
{
	work(156);
}

COUNTED void f22(void);
COUNTED void f22(void)
{
	work(152);
}

COUNTED void f23(void);
COUNTED void f23(void)
{
	work(148);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_24(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_24(void)
{
	work(144);
}

COUNTED void f25(void);
COUNTED void f25(void)
{
	work(140);
}

COUNTED void f26(void);
COUNTED void f26(void)
{
	work(136);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_27(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_27(void)
{
	work(132);
}

COUNTED void f28(void);
COUNTED void f28(void)
{
	work(128);
}

COUNTED void f29(void);
COUNTED void f29(void)
{
	work(124);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_30(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_30(void)
{
	work(120);
}

COUNTED void f31(void);
COUNTED void f31(void)
{
	work(116);
}

COUNTED void f32(void);
COUNTED void f32(void)
{
	work(112);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_33(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_33(void)
{
	work(108);
}

COUNTED void f34(void);
COUNTED void f34(void)
{
	work(104);
}

COUNTED void f35(void);
COUNTED void f35(void)
{
	work(100);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_36(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_36(void)
{
	work(96);
}

COUNTED void f37(void);
COUNTED void f37(void)
{
	work(92);
}

COUNTED void f38(void);
COUNTED void f38(void)
{
	work(88);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_39(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_39(void)
{
	work(84);
}

COUNTED void f40(void);
COUNTED void f40(void)
{
	work(80);
}

COUNTED void f41(void);
COUNTED void f41(void)
{
	work(76);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_42(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_42(void)
{
	work(72);
}

COUNTED void f43(void);
COUNTED void f43(void)
{
	work(68);
}

COUNTED void f44(void);
COUNTED void f44(void)
{
	work(64);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_45(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_45(void)
{
	work(60);
}

COUNTED void f46(void);
COUNTED void f46(void)
{
	work(56);
}

COUNTED void f47(void);
COUNTED void f47(void)
{
	work(52);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_48(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_48(void)
{
	work(48);
}

COUNTED void f49(void);
COUNTED void f49(void)
{
	work(44);
}

COUNTED void f50(void);
COUNTED void f50(void)
{
	work(40);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_51(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_51(void)
{
	work(36);
}

COUNTED void f52(void);
COUNTED void f52(void)
{
	work(32);
}

COUNTED void f53(void);
COUNTED void f53(void)
{
	work(28);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_54(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_54(void)
{
	work(24);
}

COUNTED void f55(void);
COUNTED void f55(void)
{
	work(20);
}

COUNTED void f56(void);
COUNTED void f56(void)
{
	work(16);
}

COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_57(void);
COUNTED void a_rather_long_function_name_to_be_cut_with_an_ellipsis_57(void)
{
	work(12);
}

COUNTED void f58(void);
COUNTED void f58(void)
{
	work(8);
}

COUNTED void f59(void);
COUNTED void f59(void)
{
	work(4);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		scale = strtoul(argv[1], NULL, 10);
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_00();
	f01();
	f02();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_03();
	f04();
	f05();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_06();
	f07();
	f08();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_09();
	f10();
	f11();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_12();
	f13();
	f14();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_15();
	f16();
	f17();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_18();
	f19();
	f20();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_21();
	f22();
	f23();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_24();
	f25();
	f26();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_27();
	f28();
	f29();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_30();
	f31();
	f32();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_33();
	f34();
	f35();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_36();
	f37();
	f38();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_39();
	f40();
	f41();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_42();
	f43();
	f44();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_45();
	f46();
	f47();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_48();
	f49();
	f50();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_51();
	f52();
	f53();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_54();
	f55();
	f56();
	a_rather_long_function_name_to_be_cut_with_an_ellipsis_57();
	f58();
	f59();
	return 0;
}

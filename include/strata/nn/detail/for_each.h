#pragma once
// STRATA_PP_FOR_EACH(m, a, b, c) expands to m(a) m(b) m(c): the machinery behind STRATA_MODULE's
// member list. Each STRATA_PP_EXPAND level rescans its argument four more times, so the nesting
// below allows lists of up to 255 members; __VA_OPT__ stops the recursion at the last one.

#define STRATA_PP_PARENS ()
#define STRATA_PP_EXPAND(...) \
  STRATA_PP_EXPAND3(STRATA_PP_EXPAND3(STRATA_PP_EXPAND3(STRATA_PP_EXPAND3(__VA_ARGS__))))
#define STRATA_PP_EXPAND3(...) \
  STRATA_PP_EXPAND2(STRATA_PP_EXPAND2(STRATA_PP_EXPAND2(STRATA_PP_EXPAND2(__VA_ARGS__))))
#define STRATA_PP_EXPAND2(...) \
  STRATA_PP_EXPAND1(STRATA_PP_EXPAND1(STRATA_PP_EXPAND1(STRATA_PP_EXPAND1(__VA_ARGS__))))
#define STRATA_PP_EXPAND1(...) __VA_ARGS__

#define STRATA_PP_FOR_EACH(macro, ...) \
  __VA_OPT__(STRATA_PP_EXPAND(STRATA_PP_FOR_EACH_STEP(macro, __VA_ARGS__)))
#define STRATA_PP_FOR_EACH_STEP(macro, first, ...) \
  macro(first) __VA_OPT__(STRATA_PP_FOR_EACH_AGAIN STRATA_PP_PARENS(macro, __VA_ARGS__))
#define STRATA_PP_FOR_EACH_AGAIN() STRATA_PP_FOR_EACH_STEP

/* test-util.h: bounded iteration, timing bounds and gates for the C test suites
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Nothing here sleeps to wait for an event: the owner context is iterated
 * until a condition holds, with an upper bound that fails the test. Worker
 * functions may block on a gate or a cancellable, always with a deadline, so
 * that a library bug shows up as a failure, not a hang.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Upper bounds are for a loaded machine with 2 shared cores. Under valgrind
 * (GTASK_SUP_TEST_SLOW set by the `valgrind` test setup) they grow 20 times
 * and the big loops shrink. Lower bounds are never scaled. */
#define TEST_SLACK_MS 2000
#define TEST_WAIT_MS  10000

gboolean test_is_slow    (void);
gint64   test_upper_ms   (gint64 ms);
guint    test_count      (guint  normal,
                          guint  slow);
gint64   test_elapsed_ms (gint64 since_us);

/* Lower bound strict (in microseconds), upper bound generous (slack scaled). */
#define assert_elapsed_between(since_us, lower_ms, upper_ms) \
  G_STMT_START { \
    gint64 elapsed_us_ = g_get_monotonic_time () - (since_us); \
    g_assert_cmpint (elapsed_us_, >=, (gint64) (lower_ms) * G_TIME_SPAN_MILLISECOND); \
    g_assert_cmpint (elapsed_us_, <=, test_upper_ms (upper_ms) * G_TIME_SPAN_MILLISECOND); \
  } G_STMT_END

/* -------------------------------------------------------------------------- */
/* Bounded iteration                                                          */
/* -------------------------------------------------------------------------- */

typedef gboolean (*TestCondition) (gpointer user_data);

gboolean test_iterate_until_impl (GMainContext  *ctx,
                                  TestCondition  cond,
                                  gpointer       data,
                                  gint64         timeout_ms);

/* iterate_until (ctx, cond, data, timeout_ms): iterate @ctx until
 * cond (data) is TRUE; fails the test after timeout_ms (scaled when slow). */
#define iterate_until(ctx, cond, data, timeout_ms) \
  G_STMT_START { \
    gint64 bound_ms_ = test_upper_ms (timeout_ms); \
    if (!test_iterate_until_impl ((ctx), (cond), (data), bound_ms_)) \
      { \
        char *msg_ = g_strdup_printf ("iterate_until (%s, %s) did not hold within %" \
                                      G_GINT64_FORMAT " ms", #cond, #data, bound_ms_); \
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg_); \
        g_free (msg_); \
      } \
  } G_STMT_END

gboolean test_never_cb     (gpointer data);
gboolean test_weak_null_cb (gpointer data);

void     iterate_for       (GMainContext *ctx,
                            guint         ms);

typedef struct
{
  const int *ptr;
  int        target;
} TestIntCond;

gboolean test_int_ge_cb (gpointer data);
gboolean test_int_eq_cb (gpointer data);

#define iterate_until_int_ge(ctx, ptr, target, timeout_ms) \
  G_STMT_START { \
    TestIntCond c_ = { (const int *) (ptr), (target) }; \
    iterate_until ((ctx), test_int_ge_cb, &c_, (timeout_ms)); \
  } G_STMT_END

#define iterate_until_int_eq(ctx, ptr, target, timeout_ms) \
  G_STMT_START { \
    TestIntCond c_ = { (const int *) (ptr), (target) }; \
    iterate_until ((ctx), test_int_eq_cb, &c_, (timeout_ms)); \
  } G_STMT_END

/* -------------------------------------------------------------------------- */
/* Gate: what a worker function blocks on, always with a deadline             */
/* -------------------------------------------------------------------------- */

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean open;
} TestGate;

typedef enum
{
  TEST_WAIT_OPENED,
  TEST_WAIT_CANCELLED,
  TEST_WAIT_EXPIRED,
} TestWaitResult;

void           test_gate_init  (TestGate     *gate);
void           test_gate_clear (TestGate     *gate);
void           test_gate_open  (TestGate     *gate);
TestWaitResult test_gate_wait  (TestGate     *gate,
                                GCancellable *cancellable,
                                gint64        max_ms);

G_END_DECLS

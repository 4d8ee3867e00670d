/* test-recorder.h: the Recorder of a supervisor's signals and notifies
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A Recorder counts every outcome, ::stopped, notify and items-changed of a
 * supervisor (and the notifies of the tasks it watches), and counts as a
 * violation any emission off the owner thread or context, inside a call the
 * test marked, after close, or twice for one task.
 */

#pragma once

#include <gtask-sup/gtask-sup.h>

#include "test-util.h"

G_BEGIN_DECLS

typedef enum
{
  OUTCOME_SUCCEEDED,
  OUTCOME_FAILED,
  OUTCOME_TIMED_OUT,
} OutcomeKind;

typedef struct
{
  GtaskSupTask *task;   /* owned */
  OutcomeKind   kind;   /* of the first outcome */
  guint         count;  /* outcomes emitted for this task: must stay 1 */
  GError       *error;  /* copy of the failed error */
  gint64        time_us;
  guint         seq;
} Outcome;

typedef struct
{
  GtaskSupSupervisor *sup;       /* weak pointer */
  GListModel         *children;  /* borrowed from sup */
  GMainContext       *ctx;
  GThread            *thread;

  GHashTable         *outcomes;  /* task → Outcome */
  GPtrArray          *watched;   /* tasks with a notify handler, owned */
  GPtrArray          *shadow;    /* what items-changed told us the model holds */

  guint               n_outcomes;
  guint               n_succeeded;
  guint               n_failed;
  guint               n_timed_out;
  guint               n_items_changed;
  guint               n_sup_notify;
  guint               n_task_notify;

  /* ::stopped */
  guint               n_stopped;
  GError             *stop_reason;   /* copy of the first reason, if any */
  guint               stopped_seq;   /* n_outcomes when ::stopped was emitted */

  /* set by the test: no signal may be emitted while set */
  gboolean            in_call;
  gboolean            closed;

  /* violations (atomic: may come from a wrong thread) */
  int                 n_wrong_context;
  int                 n_sync;
  int                 n_after_close;
  int                 n_wrong_state;
  int                 n_duplicate;
  int                 n_bad_model;
  int                 n_after_stopped; /* an outcome emitted after ::stopped */
} Recorder;

Recorder *recorder_new        (GtaskSupSupervisor *sup,
                               GMainContext       *ctx);
void      recorder_watch      (Recorder           *rec,
                               GtaskSupTask       *task);
Outcome  *recorder_get        (Recorder           *rec,
                               GtaskSupTask       *task);
guint     recorder_count      (Recorder           *rec,
                               GtaskSupTask       *task);
void      recorder_disconnect (Recorder           *rec);
void      recorder_free       (Recorder           *rec);

/* The invariants every test shares. */
#define recorder_assert_clean(rec) \
  G_STMT_START { \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_wrong_context), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_sync), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_after_close), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_wrong_state), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_duplicate), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_bad_model), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_after_stopped), ==, 0); \
    g_assert_cmpuint ((rec)->n_stopped, <=, 1); \
  } G_STMT_END

typedef struct
{
  Recorder     *rec;
  GtaskSupTask *task;
  guint         n;
} RecorderCond;

gboolean recorder_has_outcome_cb  (gpointer data);
gboolean recorder_n_outcomes_cb   (gpointer data);
gboolean recorder_stopped_cond_cb (gpointer data);

#define wait_outcome(ctx, rec, task) \
  G_STMT_START { \
    RecorderCond rc_ = { (rec), (task), 0 }; \
    iterate_until ((ctx), recorder_has_outcome_cb, &rc_, TEST_WAIT_MS); \
  } G_STMT_END

#define wait_n_outcomes(ctx, rec, count, timeout_ms) \
  G_STMT_START { \
    RecorderCond rc_ = { (rec), NULL, (count) }; \
    iterate_until ((ctx), recorder_n_outcomes_cb, &rc_, (timeout_ms)); \
  } G_STMT_END

/* Asserts @task ended exactly once with @kind (and @domain/@code for errors). */
#define assert_outcome(rec, task, expected_kind, domain, code) \
  G_STMT_START { \
    Outcome *o_ = recorder_get ((rec), (task)); \
    g_assert_nonnull (o_); \
    g_assert_cmpuint (o_->count, ==, 1); \
    g_assert_cmpint (o_->kind, ==, (expected_kind)); \
    if ((expected_kind) == OUTCOME_FAILED) \
      g_assert_error (o_->error, (domain), (code)); \
  } G_STMT_END

/* Iterates until ::stopped was emitted. */
#define wait_stopped(ctx, rec, timeout_ms) \
  iterate_until ((ctx), recorder_stopped_cond_cb, (rec), (timeout_ms))

/* The outcome @o came at least @lower_ms after @t0 (strict), and at most a
 * generous slack (scaled) after that. */
#define assert_outcome_after(o, t0, lower_ms) \
  G_STMT_START { \
    gint64 d_ = (o)->time_us - (t0); \
    g_assert_cmpint (d_, >=, (gint64) (lower_ms) * G_TIME_SPAN_MILLISECOND); \
    g_assert_cmpint (d_, <=, ((gint64) (lower_ms) + test_upper_ms (TEST_SLACK_MS)) * \
                             G_TIME_SPAN_MILLISECOND); \
  } G_STMT_END

/* -------------------------------------------------------------------------- */
/* Notify counts by property name, in a GHashTable (name → count)             */
/* -------------------------------------------------------------------------- */

void  notify_count_cb (GObject    *object,
                       GParamSpec *pspec,
                       gpointer    user_data);
guint notify_count    (GHashTable *counts,
                       const char *name);

G_END_DECLS

/* test-probe.h: the Probe, a configurable thread function and what it observed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A Probe may block on its gate or its cancellable, always with a deadline.
 * Each task made by probe_task_new() holds a reference on its Probe, counted
 * in test_probes_held until the task releases its data.
 */

#pragma once

#include <gtask-sup/gtask-sup.h>

#include "test-util.h"

G_BEGIN_DECLS

typedef enum
{
  PROBE_RESULT_INT,            /* return_int (value) */
  PROBE_RESULT_BOOLEAN,        /* return_boolean (value != 0) */
  PROBE_RESULT_POINTER,        /* return_pointer (a PointerResult, freed by its destroy) */
  PROBE_RESULT_STRING_VALUE,   /* return_value (G_TYPE_STRING "probe-<value>") */
  PROBE_RESULT_ERROR,          /* return_error (G_IO_ERROR_NOT_FOUND) */
  PROBE_RESULT_NONE,           /* return without a result */
  PROBE_RESULT_OWN_ERROR_IF_CANCELLED, /* G_IO_ERROR_BUSY if cancelled, else int */
} ProbeResult;

/* Shared between the probes of one test (outlives every worker function). */
typedef struct
{
  int current;     /* functions running right now */
  int peak;        /* max of current */
  int wait_peak;   /* if > 0: each function waits (bounded) until peak >= wait_peak */
  int order;       /* start order counter */
  int started;     /* functions entered */
  int pointers_alive; /* PointerResult alive */
} ProbeShared;

typedef struct
{
  ProbeResult   result;
  gint64        value;
  gboolean      block;        /* block on the gate before completing */
  gboolean      cooperative;  /* ...or until the cancellable is cancelled */
  gboolean      result_first; /* complete before blocking */
  guint         work_ms;      /* uncooperative work (g_usleep) first */
  ProbeShared  *shared;       /* nullable */

  TestGate      gate;

  /* observations, atomics */
  int           n_runs;
  int           n_returns;
  int           n_completed;  /* return_* (or nothing) was called */
  gint64        completed_us;
  int           saw_cancel;   /* the wait ended because of the cancellable */
  int           cancelled_at_return; /* the cancellable was cancelled when it returned */
  int           cancellable_ok;      /* the func's cancellable is the task's */
  int           order;        /* start order among probes of @shared */
  GThread      *thread;
  gint64        run_us;
} Probe;

typedef struct
{
  int *alive;
  gint64 value;
} PointerResult;

/* Task data still alive (probe refs held by tasks). Checked at teardown. */
extern int test_probes_held;

Probe        *probe_new           (ProbeResult   result,
                                   gint64        value);
Probe        *probe_new_blocking  (gboolean      cooperative);
void          probe_unref         (Probe        *p);
void          probe_task_destroy  (gpointer      data);
void          pointer_result_free (gpointer      data);
void          probe_complete      (Probe        *p,
                                   GtaskSupTask *task,
                                   gboolean      cancelled);
void          probe_thread_func   (GtaskSupTask *task,
                                   GCancellable *cancellable,
                                   gpointer      user_data);
GtaskSupTask *probe_task_new      (Probe        *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Probe, probe_unref)

G_END_DECLS

/* gtask-sup-trace-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sysprof marks: each task leaves a mark from its start to its outcome,
 * with its name, kind and outcome, and one for the time it was queued.
 * They go to the capture of SYSPROF_TRACE_FD (as GTK's do) and to Sysprof's
 * collector; without sysprof-capture-4 at build time, or when nobody
 * traces, these cost a branch. */

G_GNUC_INTERNAL
gboolean _gtask_sup_trace_is_active (void);
/* The capture clock, in ns; 0 when not tracing. */
G_GNUC_INTERNAL
gint64   _gtask_sup_trace_now       (void);
/* Keeps the capture clock's now on @object, under @key (a 64-bit box: a
 * pointer is too small on 32-bit), and gets it back (0 without one). */
G_GNUC_INTERNAL
void     _gtask_sup_trace_stamp     (gpointer    object,
                                     const char *key);
G_GNUC_INTERNAL
gint64   _gtask_sup_trace_get_stamp (gpointer    object,
                                     const char *key);
G_GNUC_INTERNAL
void     _gtask_sup_trace_mark      (gint64      begin,
                                     gint64      end,
                                     const char *name,
                                     const char *message);

G_END_DECLS

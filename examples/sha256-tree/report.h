/* report.h — what sha256-tree prints: sums, progress, summary
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "sha256-tree.h"
#include "walk.h"

G_BEGIN_DECLS

typedef struct _Report Report;

Report   *report_new             (const Sha256Options *options,
                                  Walk                *walk);
void      report_free            (Report              *report);

/* The outcome of one item, on the main thread. */
void      report_item            (Report              *report,
                                  GtaskSupTask        *task,
                                  Batch               *batch,
                                  gboolean             interrupted);
void      report_cancelled       (Report              *report,
                                  guint                n_files);
void      report_error           (Report              *report,
                                  char                *message);
void      report_argument_error  (Report              *report,
                                  const char          *path,
                                  const char          *message);
void      report_skipped         (Report              *report);

void      report_start           (Report              *report);
void      report_stop            (Report              *report);
void      report_print_summary   (Report              *report,
                                  gboolean             interrupted);
gboolean  report_all_succeeded   (Report              *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Report, report_free)

G_END_DECLS

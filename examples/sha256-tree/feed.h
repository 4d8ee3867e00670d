/* feed.h — the stream that feeds the walk's files to the items
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "report.h"
#include "sha256-tree.h"
#include "walk.h"

G_BEGIN_DECLS

typedef struct _Feed Feed;

Feed     *feed_new          (GtaskSupSupervisor  *supervisor,
                             Walk                *walk,
                             Report              *report,
                             const Sha256Options *options);
void      feed_free         (Feed                *feed);

void      feed_start        (Feed                *feed);
/* The walk has files again, or is over. */
void      feed_input_ready  (Feed                *feed);
/* Ctrl-C: cancels what runs; ::finished follows. */
void      feed_cancel       (Feed                *feed);
gboolean  feed_is_finished  (Feed                *feed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Feed, feed_free)

G_END_DECLS

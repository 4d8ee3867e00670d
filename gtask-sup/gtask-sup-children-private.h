/* gtask-sup-children-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The GListModel returned by gtask_sup_supervisor_get_children(): the live
 * tasks in start order. Only touched on the owner context. Removal is
 * O(log n) through the GSequenceIter each task keeps, which GListStore
 * (O(n) lookup by item) cannot give for thousands of tasks. */
#define GTASK_SUP_TYPE_CHILDREN (gtask_sup_children_get_type ())

G_DECLARE_FINAL_TYPE (GtaskSupChildren, gtask_sup_children, GTASK_SUP, CHILDREN, GObject)

G_GNUC_INTERNAL
GtaskSupChildren *gtask_sup_children_new    (void);
G_GNUC_INTERNAL
GSequenceIter    *gtask_sup_children_append (GtaskSupChildren *self,
                                             gpointer          item);
G_GNUC_INTERNAL
GSequenceIter    *gtask_sup_children_append_quietly (GtaskSupChildren *self,
                                                     gpointer          item);
G_GNUC_INTERNAL
void              gtask_sup_children_announce (GtaskSupChildren *self,
                                               guint             position,
                                               guint             removed,
                                               guint             added);
G_GNUC_INTERNAL
void              gtask_sup_children_remove_quietly (GtaskSupChildren *self,
                                                     GSequenceIter    *iter);
G_GNUC_INTERNAL
void              gtask_sup_children_remove (GtaskSupChildren *self,
                                             GSequenceIter    *iter);

G_END_DECLS

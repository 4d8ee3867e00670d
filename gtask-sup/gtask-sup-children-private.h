/* gtask-sup-children-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The GListModel returned by gtask_sup_supervisor_get_children(): the live
 * tasks in start order. Only touched on the owner context.
 *
 * Changes are batched: gtask_sup_children_add() and
 * gtask_sup_children_remove() record them, and gtask_sup_children_flush()
 * makes them visible, with one ::items-changed per run of adjacent rows.
 * Until then the model shows what it showed at the last flush.
 *
 * Rows are slots of an array in the order items were added; a removed item
 * leaves a hole, and a Fenwick tree of the live slots turns a slot into its
 * position and back in O(log n) steps over one compact array of counts.
 * The holes are squeezed out once they outnumber the items. Each item
 * keeps its own slot, in a field the model is given the offset of (as the
 * deadline heap does), so finding an item costs nothing. Adding and
 * removing cost O(log n), with none of the memory walks of a balanced
 * tree of nodes (GSequence), nor GListStore's O(n) search for an item. */
#define GTASK_SUP_TYPE_CHILDREN (gtask_sup_children_get_type ())

G_DECLARE_FINAL_TYPE (GtaskSupChildren, gtask_sup_children, GTASK_SUP, CHILDREN, GObject)

G_GNUC_INTERNAL
GtaskSupChildren *gtask_sup_children_new      (gssize            slot_offset);
G_GNUC_INTERNAL
gboolean          gtask_sup_children_add      (GtaskSupChildren *self,
                                               gpointer          item);
G_GNUC_INTERNAL
gboolean          gtask_sup_children_remove   (GtaskSupChildren *self,
                                               gpointer          item);
G_GNUC_INTERNAL
gboolean          gtask_sup_children_contains (GtaskSupChildren *self,
                                               gpointer          item);
G_GNUC_INTERNAL
void              gtask_sup_children_flush    (GtaskSupChildren *self);

G_END_DECLS

/* gtask-sup-children.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-children-private.h"
#include "gtask-sup-task.h"

struct _GtaskSupChildren
{
  GObject    parent_instance;
  GSequence *items;
};

static GType
gtask_sup_children_get_item_type (GListModel *model)
{
  return GTASK_SUP_TYPE_TASK;
}

static guint
gtask_sup_children_get_n_items (GListModel *model)
{
  GtaskSupChildren *self = GTASK_SUP_CHILDREN (model);

  return g_sequence_get_length (self->items);
}

static gpointer
gtask_sup_children_get_item (GListModel *model,
                             guint       position)
{
  GtaskSupChildren *self = GTASK_SUP_CHILDREN (model);
  GSequenceIter *iter = g_sequence_get_iter_at_pos (self->items, position);

  if (g_sequence_iter_is_end (iter))
    return NULL;

  return g_object_ref (g_sequence_get (iter));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = gtask_sup_children_get_item_type;
  iface->get_n_items = gtask_sup_children_get_n_items;
  iface->get_item = gtask_sup_children_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (GtaskSupChildren, gtask_sup_children, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
gtask_sup_children_finalize (GObject *object)
{
  GtaskSupChildren *self = (GtaskSupChildren *)object;

  g_clear_pointer (&self->items, g_sequence_free);

  G_OBJECT_CLASS (gtask_sup_children_parent_class)->finalize (object);
}

static void
gtask_sup_children_class_init (GtaskSupChildrenClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gtask_sup_children_finalize;
}

static void
gtask_sup_children_init (GtaskSupChildren *self)
{
  self->items = g_sequence_new (g_object_unref);
}

GtaskSupChildren *
gtask_sup_children_new (void)
{
  return g_object_new (GTASK_SUP_TYPE_CHILDREN, NULL);
}

GSequenceIter *
gtask_sup_children_append (GtaskSupChildren *self,
                           gpointer          item)
{
  GSequenceIter *iter;

  iter = g_sequence_append (self->items, g_object_ref (item));
  g_list_model_items_changed (G_LIST_MODEL (self), g_sequence_iter_get_position (iter), 0, 1);

  return iter;
}

/* Appends @item without emitting ::items-changed: the caller announces a
 * run of appends at once with gtask_sup_children_announce(). */
GSequenceIter *
gtask_sup_children_append_quietly (GtaskSupChildren *self,
                                   gpointer          item)
{
  return g_sequence_append (self->items, g_object_ref (item));
}

void
gtask_sup_children_announce (GtaskSupChildren *self,
                             guint             position,
                             guint             removed,
                             guint             added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

/* Removes @iter without emitting ::items-changed; see
 * gtask_sup_children_announce(). */
void
gtask_sup_children_remove_quietly (GtaskSupChildren *self,
                                   GSequenceIter    *iter)
{
  g_sequence_remove (iter);
}

void
gtask_sup_children_remove (GtaskSupChildren *self,
                           GSequenceIter    *iter)
{
  guint position = g_sequence_iter_get_position (iter);

  g_sequence_remove (iter);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

/* gtask-sup-children.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-children-private.h"
#include "gtask-sup-task.h"

/* Holes are squeezed out when there are at least this many, and more holes
 * than items: each item moves at most once per as many removals. */
#define MIN_HOLES_TO_COMPACT 64

struct _GtaskSupChildren
{
  GObject     parent_instance;

  GPtrArray  *slots;          /* items in the order they were added, a reference
                               * each; NULL: a hole left by a removed item */
  guint32    *tree;           /* Fenwick tree of the live slots, 1-based:
                               * tree[i] counts the live slots in
                               * [i - (i & -i), i - 1] */
  guint       tree_allocated; /* entries of tree, index 0 included */
  gssize      slot_offset;    /* of each item's guint: its slot + 1, 0 when out */
  GArray     *removals;       /* guint: slots of shown items, hidden at the next flush */
  GArray     *batch;          /* the removals a flush works on */
  guint       n_live;         /* items in slots, shown or not */
  guint       n_shown;        /* what get_n_items() says */
  guint       n_holes;
  guint       first_unshown;  /* the slots from here on were added since the last flush */
  gboolean    flushing;
};

static inline guint
lowest_bit (guint i)
{
  return i & -i;
}

/* The item's own record of its slot + 1; 0: not in the model. */
static inline guint *
slot_field (GtaskSupChildren *self,
            gpointer          item)
{
  return G_STRUCT_MEMBER_P (item, self->slot_offset);
}

/* The live slots in [0, slot): the position of @slot, were it live. */
static guint
count_before (GtaskSupChildren *self,
              guint             slot)
{
  guint count = 0;

  for (guint i = slot; i > 0; i -= lowest_bit (i))
    count += self->tree[i];

  return count;
}

static void
remove_from_tree (GtaskSupChildren *self,
                  guint             slot)
{
  for (guint i = slot + 1; i <= self->slots->len; i += lowest_bit (i))
    self->tree[i]--;
}

/* The slot at @position, which must be below n_live. */
static guint
find_slot (GtaskSupChildren *self,
           guint             position)
{
  guint len = self->slots->len;
  guint i = 0;

  for (guint step = 1u << g_bit_storage (len) >> 1; step > 0; step >>= 1)
    {
      if (i + step <= len && self->tree[i + step] <= position)
        {
          i += step;
          position -= self->tree[i];
        }
    }

  /* tree index i + 1, slot i */
  return i;
}

static void
ensure_tree (GtaskSupChildren *self,
             guint             n_slots)
{
  if (n_slots + 1 <= self->tree_allocated)
    return;

  self->tree_allocated = MAX (64, self->tree_allocated);
  while (self->tree_allocated < n_slots + 1)
    self->tree_allocated *= 2;
  self->tree = g_renew (guint32, self->tree, self->tree_allocated);
  self->tree[0] = 0;
}

/* A new live slot at the end. */
static void
append_slot (GtaskSupChildren *self,
             gpointer          item)
{
  guint i;
  guint32 count = 1;

  ensure_tree (self, self->slots->len + 1);
  g_ptr_array_add (self->slots, item);

  /* tree[i] counts the slots [i - lowest_bit (i), i - 1]: the new one,
   * i - 1, and the ranges of the entries below it that fall inside. */
  i = self->slots->len;
  for (guint j = i - 1; j > i - lowest_bit (i); j -= lowest_bit (j))
    count += self->tree[j];
  self->tree[i] = count;
  self->n_live++;
}

/* Empties @slot; returns its item's reference, for the caller to drop
 * once the model is consistent again (it may be the last one: then the
 * task's finalization runs code of the application). */
static gpointer
drop_slot (GtaskSupChildren *self,
           guint             slot)
{
  gpointer item = g_ptr_array_index (self->slots, slot);

  g_ptr_array_index (self->slots, slot) = NULL;
  /* Unless it was added again since it was removed. */
  if (*slot_field (self, item) == slot + 1)
    *slot_field (self, item) = 0;
  remove_from_tree (self, slot);
  self->n_live--;
  self->n_holes++;

  return item;
}

/* Squeezes the holes out: every item takes the next free slot, in order,
 * and the tree is rebuilt in O(n). Positions do not change. */
static void
compact (GtaskSupChildren *self)
{
  guint len = 0;

  for (guint slot = 0; slot < self->slots->len; slot++)
    {
      gpointer item = g_ptr_array_index (self->slots, slot);

      if (item == NULL)
        continue;

      g_ptr_array_index (self->slots, len) = item;
      *slot_field (self, item) = len + 1;
      len++;
    }
  g_ptr_array_set_size (self->slots, len);

  for (guint i = 1; i <= len; i++)
    self->tree[i] = 1;
  for (guint i = 1; i <= len; i++)
    {
      guint parent = i + lowest_bit (i);

      if (parent <= len)
        self->tree[parent] += self->tree[i];
    }

  self->n_holes = 0;
  self->first_unshown = len;
}

static GType
gtask_sup_children_get_item_type (GListModel *model)
{
  return GTASK_SUP_TYPE_TASK;
}

static guint
gtask_sup_children_get_n_items (GListModel *model)
{
  return GTASK_SUP_CHILDREN (model)->n_shown;
}

static gpointer
gtask_sup_children_get_item (GListModel *model,
                             guint       position)
{
  GtaskSupChildren *self = GTASK_SUP_CHILDREN (model);

  /* The unshown items all come after the shown ones. */
  if (position >= self->n_shown)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->slots, find_slot (self, position)));
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

  for (guint slot = 0; slot < self->slots->len; slot++)
    {
      gpointer item = g_ptr_array_index (self->slots, slot);

      if (item != NULL)
        {
          *slot_field (self, item) = 0;
          g_object_unref (item);
        }
    }
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  g_clear_pointer (&self->tree, g_free);
  g_clear_pointer (&self->removals, g_array_unref);
  g_clear_pointer (&self->batch, g_array_unref);

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
  self->slots = g_ptr_array_new ();
  self->removals = g_array_new (FALSE, FALSE, sizeof (guint));
  self->batch = g_array_new (FALSE, FALSE, sizeof (guint));
  ensure_tree (self, 0);
}

/* @slot_offset: where each item keeps a guint for the model, 0 when it
 * is not in one: an item is in one model at most. */
GtaskSupChildren *
gtask_sup_children_new (gssize slot_offset)
{
  GtaskSupChildren *self = g_object_new (GTASK_SUP_TYPE_CHILDREN, NULL);

  self->slot_offset = slot_offset;

  return self;
}

/* Adds @item (a reference) after every other: shown at the next flush.
 * Returns FALSE, doing nothing, if it is already in. */
gboolean
gtask_sup_children_add (GtaskSupChildren *self,
                        gpointer          item)
{
  guint *field = slot_field (self, item);

  if (*field != 0)
    return FALSE;

  *field = self->slots->len + 1;
  append_slot (self, g_object_ref (item));
  return TRUE;
}

/* Takes @item out: an item not shown yet goes at once, and is never
 * shown; a shown one is hidden at the next flush. Returns TRUE if the
 * next flush has something to do for it. */
gboolean
gtask_sup_children_remove (GtaskSupChildren *self,
                           gpointer          item)
{
  guint *field = slot_field (self, item);
  guint slot;

  if (*field == 0)
    return FALSE;

  slot = *field - 1;
  if (slot >= self->first_unshown)
    {
      g_object_unref (drop_slot (self, slot));
      return FALSE;
    }

  /* Out of the model for its callers now; its row goes at the flush. */
  *field = 0;
  g_array_append_val (self->removals, slot);
  return TRUE;
}

gboolean
gtask_sup_children_contains (GtaskSupChildren *self,
                             gpointer          item)
{
  return *slot_field (self, item) != 0;
}

static int
compare_slots_descending (gconstpointer a,
                          gconstpointer b)
{
  guint sa = *(const guint *)a;
  guint sb = *(const guint *)b;

  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* Hides the removed items, each run of adjacent rows with one
 * ::items-changed, the last run first so that the positions of the others
 * hold while handlers read the model. */
static void
flush_removals (GtaskSupChildren *self,
                GPtrArray        *dropped)
{
  GArray *batch = self->removals;
  guint *slots = (guint *)(gpointer)batch->data;
  guint n = batch->len;
  gboolean ascending = TRUE;
  guint i = 0;

  if (n == 0)
    return;

  /* Handlers may run code (a nested main loop) that removes more: those
   * go to the next round. */
  self->removals = self->batch;
  self->batch = batch;

  /* Tasks mostly end in the order they started: then there is no need to
   * sort. */
  for (guint j = 1; j < n && ascending; j++)
    ascending = slots[j - 1] < slots[j];
  if (ascending)
    {
      for (guint j = 0; j < n / 2; j++)
        {
          guint slot = slots[j];

          slots[j] = slots[n - 1 - j];
          slots[n - 1 - j] = slot;
        }
    }
  else
    qsort (slots, n, sizeof (guint), compare_slots_descending);

  while (i < n)
    {
      guint last = count_before (self, slots[i]);
      guint first = last;

      for (;;)
        {
          g_ptr_array_add (dropped, drop_slot (self, slots[i]));
          i++;
          /* Removing a slot leaves the positions of the slots before it as
           * they were. */
          if (first == 0 || i >= n || count_before (self, slots[i]) != first - 1)
            break;
          first--;
        }

      self->n_shown -= last - first + 1;
      g_list_model_items_changed (G_LIST_MODEL (self), first, last - first + 1, 0);
    }

  g_array_set_size (batch, 0);
}

/* Shows the additions and hides the removals since the last flush. A
 * flush from a handler of this one's ::items-changed (a nested main loop)
 * does nothing: this one goes on until nothing is left. */
void
gtask_sup_children_flush (GtaskSupChildren *self)
{
  g_autoptr(GPtrArray) dropped = NULL;

  if (self->flushing || (self->removals->len == 0 && self->n_shown == self->n_live))
    return;

  self->flushing = TRUE;
  /* The references of the rows hidden, dropped at the end: finalizing a
   * task runs code of the application, which must find the model as its
   * signals described it. */
  dropped = g_ptr_array_new_with_free_func (g_object_unref);

  while (self->removals->len > 0 || self->n_shown != self->n_live)
    {
      guint position, added;

      flush_removals (self, dropped);

      /* Every live item is shown now: the shown ones that remain, and
       * after them the unshown ones. */
      position = self->n_shown;
      added = self->n_live - self->n_shown;
      self->n_shown = self->n_live;
      self->first_unshown = self->slots->len;

      if (self->n_live == 0)
        {
          g_ptr_array_set_size (self->slots, 0);
          self->n_holes = 0;
          self->first_unshown = 0;
        }
      else if (self->n_holes >= MIN_HOLES_TO_COMPACT && self->n_holes > self->n_live &&
               self->removals->len == 0)
        compact (self);

      if (added > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), position, 0, added);
    }

  self->flushing = FALSE;
}

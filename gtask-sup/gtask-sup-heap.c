/* gtask-sup-heap.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-heap-private.h"

/* The array is 0-based; an item's stored position is its index + 1, so that
 * a zeroed item reads as "not in the heap". Storage doubles when full and
 * halves when less than a quarter is used (and more than SHRINK_MIN entries
 * are allocated): both are amortized O(1), and a heap drained after a burst
 * gives its memory back. */

#define GROW_MIN   16
#define SHRINK_MIN 64

static inline guint *
item_position (GtaskSupHeap *heap,
               gpointer      item)
{
  return G_STRUCT_MEMBER_P (item, heap->index_offset);
}

/* Writes entries[i] and the position of its item. */
static inline void
heap_place (GtaskSupHeap            *heap,
            guint                    i,
            const GtaskSupHeapEntry *entry)
{
  heap->entries[i] = *entry;
  *item_position (heap, entry->item) = i + 1;
}

/* Moves @entry up from hole @i; returns its final index. */
static guint
heap_sift_up (GtaskSupHeap      *heap,
              guint              i,
              GtaskSupHeapEntry  entry)
{
  while (i > 0)
    {
      guint parent = (i - 1) / 2;

      if (heap->entries[parent].deadline <= entry.deadline)
        break;

      heap_place (heap, i, &heap->entries[parent]);
      i = parent;
    }

  heap_place (heap, i, &entry);
  return i;
}

/* Moves @entry down from hole @i; returns its final index. */
static guint
heap_sift_down (GtaskSupHeap      *heap,
                guint              i,
                GtaskSupHeapEntry  entry)
{
  for (;;)
    {
      guint child = 2 * i + 1;

      if (child >= heap->len)
        break;
      if (child + 1 < heap->len &&
          heap->entries[child + 1].deadline < heap->entries[child].deadline)
        child++;
      if (entry.deadline <= heap->entries[child].deadline)
        break;

      heap_place (heap, i, &heap->entries[child]);
      i = child;
    }

  heap_place (heap, i, &entry);
  return i;
}

/* Puts @entry at hole @i, wherever the heap order wants it. */
static void
heap_sift (GtaskSupHeap      *heap,
           guint              i,
           GtaskSupHeapEntry  entry)
{
  if (i > 0 && entry.deadline < heap->entries[(i - 1) / 2].deadline)
    heap_sift_up (heap, i, entry);
  else
    heap_sift_down (heap, i, entry);
}

static void
heap_resize (GtaskSupHeap *heap,
             guint         allocated)
{
  g_assert (allocated >= heap->len);

  heap->entries = g_realloc_n (heap->entries, allocated, sizeof (GtaskSupHeapEntry));
  heap->allocated = allocated;
}

static void
heap_remove_at (GtaskSupHeap *heap,
                guint         i)
{
  GtaskSupHeapEntry last;

  g_assert (i < heap->len);

  *item_position (heap, heap->entries[i].item) = 0;
  heap->len--;

  if (i < heap->len)
    {
      last = heap->entries[heap->len];
      heap_sift (heap, i, last);
    }

  if (heap->allocated > SHRINK_MIN && heap->len < heap->allocated / 4)
    heap_resize (heap, heap->allocated / 2);
}

void
_gtask_sup_heap_init (GtaskSupHeap *heap,
                      gsize         index_offset)
{
  heap->entries = NULL;
  heap->len = 0;
  heap->allocated = 0;
  heap->index_offset = index_offset;
}

void
_gtask_sup_heap_clear (GtaskSupHeap *heap)
{
  for (guint i = 0; i < heap->len; i++)
    *item_position (heap, heap->entries[i].item) = 0;

  g_clear_pointer (&heap->entries, g_free);
  heap->len = 0;
  heap->allocated = 0;
}

void
_gtask_sup_heap_set (GtaskSupHeap *heap,
                     gpointer      item,
                     gint64        deadline)
{
  guint pos;
  GtaskSupHeapEntry entry = { deadline, item };

  g_assert_nonnull (item);

  pos = *item_position (heap, item);

  if (pos != 0)
    {
      gint64 old;

      g_assert (pos <= heap->len);
      g_assert (heap->entries[pos - 1].item == item);

      old = heap->entries[pos - 1].deadline;
      if (deadline < old)
        heap_sift_up (heap, pos - 1, entry);
      else if (deadline > old)
        heap_sift_down (heap, pos - 1, entry);
      return;
    }

  if (heap->len == heap->allocated)
    {
      g_assert (heap->allocated <= G_MAXUINT / 2);
      heap_resize (heap, MAX (heap->allocated * 2, GROW_MIN));
    }

  heap->len++;
  heap_sift_up (heap, heap->len - 1, entry);
}

gboolean
_gtask_sup_heap_remove (GtaskSupHeap *heap,
                        gpointer      item)
{
  guint pos;

  g_assert_nonnull (item);

  pos = *item_position (heap, item);
  if (pos == 0)
    return FALSE;

  g_assert (pos <= heap->len);
  g_assert (heap->entries[pos - 1].item == item);

  heap_remove_at (heap, pos - 1);
  return TRUE;
}

gboolean
_gtask_sup_heap_contains (GtaskSupHeap *heap,
                          gpointer      item)
{
  g_assert_nonnull (item);

  return *item_position (heap, item) != 0;
}

gint64
_gtask_sup_heap_get_deadline (GtaskSupHeap *heap,
                              gpointer      item)
{
  guint pos;

  g_assert_nonnull (item);

  pos = *item_position (heap, item);
  g_assert (pos != 0 && pos <= heap->len);
  g_assert (heap->entries[pos - 1].item == item);

  return heap->entries[pos - 1].deadline;
}

gint64
_gtask_sup_heap_peek_deadline (GtaskSupHeap *heap)
{
  return heap->len > 0 ? heap->entries[0].deadline : G_MAXINT64;
}

gpointer
_gtask_sup_heap_pop_expired (GtaskSupHeap *heap,
                             gint64        now)
{
  gpointer item;

  if (heap->len == 0 || heap->entries[0].deadline > now)
    return NULL;

  item = heap->entries[0].item;
  heap_remove_at (heap, 0);
  return item;
}

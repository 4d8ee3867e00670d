/* gtask-sup-heap-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The deadline heap: a binary min-heap of deadlines (monotonic time, in
 * microseconds) over arbitrary items, which the engine uses for timeouts
 * and restart delays.
 *
 * It is intrusive: every item keeps its own 1-based position in the heap in
 * a guint at @index_offset (0 when it is not in the heap), so that moving or
 * removing an item costs O(log n) with no search. The deadline lives in the
 * heap entry, not in the item, so that sifting reads only the heap's array
 * and touches an item only to write its new position.
 *
 * Items with equal deadlines come out in any order.
 *
 * Not thread-safe: the caller guards the heap and the items' position fields
 * with its own lock. */

typedef struct
{
  gint64   deadline;
  gpointer item;
} GtaskSupHeapEntry;

typedef struct
{
  GtaskSupHeapEntry *entries;
  guint              len;
  guint              allocated;
  gsize              index_offset;  /* offset of the item's guint position */
} GtaskSupHeap;

G_GNUC_INTERNAL
void     _gtask_sup_heap_init          (GtaskSupHeap *heap,
                                        gsize         index_offset);
/* Frees the storage; the position of every item still in the heap becomes 0.
 * The heap may be used again afterwards. */
G_GNUC_INTERNAL
void     _gtask_sup_heap_clear         (GtaskSupHeap *heap);
/* Inserts @item, or moves it if it is already in the heap. */
G_GNUC_INTERNAL
void     _gtask_sup_heap_set           (GtaskSupHeap *heap,
                                        gpointer      item,
                                        gint64        deadline);
/* Returns FALSE if @item was not in the heap. */
G_GNUC_INTERNAL
gboolean _gtask_sup_heap_remove        (GtaskSupHeap *heap,
                                        gpointer      item);
G_GNUC_INTERNAL
gboolean _gtask_sup_heap_contains      (GtaskSupHeap *heap,
                                        gpointer      item);
/* @item must be in the heap. */
G_GNUC_INTERNAL
gint64   _gtask_sup_heap_get_deadline  (GtaskSupHeap *heap,
                                        gpointer      item);
/* The earliest deadline, or G_MAXINT64 when the heap is empty. */
G_GNUC_INTERNAL
gint64   _gtask_sup_heap_peek_deadline (GtaskSupHeap *heap);
/* Removes and returns the earliest item whose deadline is <= @now, or
 * returns NULL. */
G_GNUC_INTERNAL
gpointer _gtask_sup_heap_pop_expired   (GtaskSupHeap *heap,
                                        gint64        now);

static inline guint
_gtask_sup_heap_get_length (GtaskSupHeap *heap)
{
  return heap->len;
}

G_END_DECLS

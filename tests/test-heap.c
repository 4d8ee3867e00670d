/* test-heap.c: the engine's deadline heap, against a reference model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib.h>

#include "gtask-sup-heap-private.h"

/* A fixed seed, so that a failure reproduces; GTASK_SUP_TEST_SEED picks another. */
#define DEFAULT_SEED 20240611

static GRand *rng;

static gint32
rand_range (gint32 begin,
            gint32 end)
{
  return g_rand_int_range (rng, begin, end);
}

typedef struct
{
  gint64   deadline;    /* the model's copy, valid while in_heap */
  guint    heap_index;  /* the heap's */
  gboolean in_heap;     /* the model's */
} Item;

static void
heap_init_for_items (GtaskSupHeap *heap)
{
  _gtask_sup_heap_init (heap, G_STRUCT_OFFSET (Item, heap_index));
}

/* The heap order, every position field, and the model agree. */
static void
assert_consistent (GtaskSupHeap *heap,
                   Item         *items,
                   guint         n_items)
{
  guint n_in = 0;

  g_assert_cmpuint (heap->len, <=, heap->allocated);

  for (guint i = 1; i < heap->len; i++)
    g_assert_cmpint (heap->entries[(i - 1) / 2].deadline, <=, heap->entries[i].deadline);

  for (guint i = 0; i < heap->len; i++)
    {
      Item *item = heap->entries[i].item;

      g_assert_cmpuint (item->heap_index, ==, i + 1);
      g_assert_true (item->in_heap);
      g_assert_cmpint (heap->entries[i].deadline, ==, item->deadline);
    }

  for (guint i = 0; i < n_items; i++)
    {
      g_assert_cmpint (items[i].in_heap, ==, items[i].heap_index != 0);
      g_assert_cmpint (items[i].in_heap, ==, _gtask_sup_heap_contains (heap, &items[i]));
      if (items[i].in_heap)
        {
          n_in++;
          g_assert_cmpint (_gtask_sup_heap_get_deadline (heap, &items[i]), ==, items[i].deadline);
        }
    }

  g_assert_cmpuint (n_in, ==, _gtask_sup_heap_get_length (heap));
}

/* The model's earliest deadline: a plain scan. */
static gint64
model_min (Item  *items,
           guint  n_items)
{
  gint64 min = G_MAXINT64;

  for (guint i = 0; i < n_items; i++)
    if (items[i].in_heap && items[i].deadline < min)
      min = items[i].deadline;

  return min;
}

static void
test_heap_empty (void)
{
  GtaskSupHeap heap;
  Item item = { 0, 0, FALSE };

  g_test_summary ("An empty heap has no deadline, pops nothing and removes nothing");

  heap_init_for_items (&heap);
  g_assert_null (heap.entries);
  g_assert_cmpuint (heap.allocated, ==, 0);
  g_assert_cmpuint (_gtask_sup_heap_get_length (&heap), ==, 0);
  g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, G_MAXINT64);
  g_assert_null (_gtask_sup_heap_pop_expired (&heap, G_MAXINT64));
  g_assert_false (_gtask_sup_heap_contains (&heap, &item));
  g_assert_false (_gtask_sup_heap_remove (&heap, &item));
  g_assert_cmpuint (item.heap_index, ==, 0);
  _gtask_sup_heap_clear (&heap);
  _gtask_sup_heap_clear (&heap);
  g_assert_null (heap.entries);
}

static void
test_heap_single (void)
{
  GtaskSupHeap heap;
  Item item = { 0, 0, FALSE };

  g_test_summary ("One item: set, move, pop only once expired, remove");

  heap_init_for_items (&heap);

  _gtask_sup_heap_set (&heap, &item, 100);
  g_assert_cmpuint (item.heap_index, ==, 1);
  g_assert_true (_gtask_sup_heap_contains (&heap, &item));
  g_assert_cmpint (_gtask_sup_heap_get_deadline (&heap, &item), ==, 100);
  g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, 100);
  g_assert_null (_gtask_sup_heap_pop_expired (&heap, 99));

  /* Re-arm later, then earlier. */
  _gtask_sup_heap_set (&heap, &item, 200);
  g_assert_cmpuint (_gtask_sup_heap_get_length (&heap), ==, 1);
  g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, 200);
  _gtask_sup_heap_set (&heap, &item, 50);
  g_assert_cmpuint (_gtask_sup_heap_get_length (&heap), ==, 1);
  g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, 50);

  /* The deadline itself counts as expired. */
  g_assert_true (_gtask_sup_heap_pop_expired (&heap, 50) == &item);
  g_assert_cmpuint (item.heap_index, ==, 0);
  g_assert_cmpuint (_gtask_sup_heap_get_length (&heap), ==, 0);
  g_assert_null (_gtask_sup_heap_pop_expired (&heap, G_MAXINT64));

  _gtask_sup_heap_set (&heap, &item, G_MININT64);
  g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, G_MININT64);
  g_assert_true (_gtask_sup_heap_remove (&heap, &item));
  g_assert_false (_gtask_sup_heap_remove (&heap, &item));
  g_assert_cmpuint (item.heap_index, ==, 0);
  g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, G_MAXINT64);

  _gtask_sup_heap_clear (&heap);
}

static void
test_heap_remove_last_and_root (void)
{
  GtaskSupHeap heap;
  Item items[7] = { { 0, }, };
  gint64 deadlines[] = { 10, 20, 30, 40, 50, 60, 70 };

  g_test_summary ("Removing the last entry and the root keeps the order and positions");

  heap_init_for_items (&heap);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      items[i].deadline = deadlines[i];
      items[i].in_heap = TRUE;
      _gtask_sup_heap_set (&heap, &items[i], deadlines[i]);
    }
  assert_consistent (&heap, items, G_N_ELEMENTS (items));

  /* Inserted in order, so the array is in order and the last entry is 70. */
  g_assert_true (heap.entries[heap.len - 1].item == &items[6]);
  g_assert_true (_gtask_sup_heap_remove (&heap, &items[6]));
  items[6].in_heap = FALSE;
  assert_consistent (&heap, items, G_N_ELEMENTS (items));

  g_assert_true (heap.entries[0].item == &items[0]);
  g_assert_true (_gtask_sup_heap_remove (&heap, &items[0]));
  items[0].in_heap = FALSE;
  assert_consistent (&heap, items, G_N_ELEMENTS (items));
  g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, 20);

  /* An inner entry, replaced by a last entry that must go up. */
  _gtask_sup_heap_set (&heap, &items[0], 25);
  items[0].deadline = 25;
  items[0].in_heap = TRUE;
  assert_consistent (&heap, items, G_N_ELEMENTS (items));
  g_assert_true (_gtask_sup_heap_remove (&heap, &items[4]));
  items[4].in_heap = FALSE;
  assert_consistent (&heap, items, G_N_ELEMENTS (items));

  while (_gtask_sup_heap_get_length (&heap) > 0)
    {
      Item *item = _gtask_sup_heap_pop_expired (&heap, G_MAXINT64);

      g_assert_nonnull (item);
      g_assert_cmpint (item->deadline, ==, model_min (items, G_N_ELEMENTS (items)));
      item->in_heap = FALSE;
      assert_consistent (&heap, items, G_N_ELEMENTS (items));
    }

  _gtask_sup_heap_clear (&heap);
}

static void
test_heap_same_deadline (void)
{
  GtaskSupHeap heap;
  Item items[50] = { { 0, }, };
  guint n_popped = 0;

  g_test_summary ("Equal deadlines, and setting an item again to its own deadline");

  heap_init_for_items (&heap);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      items[i].deadline = 1000;
      items[i].in_heap = TRUE;
      _gtask_sup_heap_set (&heap, &items[i], 1000);
    }
  assert_consistent (&heap, items, G_N_ELEMENTS (items));

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      guint before = items[i].heap_index;

      _gtask_sup_heap_set (&heap, &items[i], 1000);
      g_assert_cmpuint (items[i].heap_index, ==, before);
    }
  assert_consistent (&heap, items, G_N_ELEMENTS (items));

  g_assert_null (_gtask_sup_heap_pop_expired (&heap, 999));
  for (Item *item; (item = _gtask_sup_heap_pop_expired (&heap, 1000)) != NULL; n_popped++)
    {
      g_assert_true (item->in_heap);
      item->in_heap = FALSE;
      assert_consistent (&heap, items, G_N_ELEMENTS (items));
    }
  g_assert_cmpuint (n_popped, ==, G_N_ELEMENTS (items));

  _gtask_sup_heap_clear (&heap);
}

static void
test_heap_clear (void)
{
  GtaskSupHeap heap;
  Item items[100] = { { 0, }, };

  g_test_summary ("Clearing a heap with items in it resets their positions to 0");

  heap_init_for_items (&heap);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    _gtask_sup_heap_set (&heap, &items[i], rand_range (0, 1000));
  g_assert_cmpuint (_gtask_sup_heap_get_length (&heap), ==, G_N_ELEMENTS (items));

  _gtask_sup_heap_clear (&heap);
  g_assert_null (heap.entries);
  g_assert_cmpuint (heap.len, ==, 0);
  g_assert_cmpuint (heap.allocated, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_assert_cmpuint (items[i].heap_index, ==, 0);
      g_assert_false (_gtask_sup_heap_contains (&heap, &items[i]));
    }

  /* Usable again afterwards. */
  _gtask_sup_heap_set (&heap, &items[3], 7);
  g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, 7);
  g_assert_cmpuint (items[3].heap_index, ==, 1);
  _gtask_sup_heap_clear (&heap);
  g_assert_cmpuint (items[3].heap_index, ==, 0);
}

static void
test_heap_random (void)
{
  const guint n_items = 300;
  guint n_ops = g_test_slow () ? 100000 : 20000;
  GtaskSupHeap heap;
  g_autofree Item *items = g_new0 (Item, n_items);
  gint64 now = 0;
  guint n_popped = 0;

  g_test_summary ("Random inserts, removes, re-arms and pops against a scanned model, "
                  "checking positions and order after each step");

  heap_init_for_items (&heap);

  for (guint op = 0; op < n_ops; op++)
    {
      Item *item = &items[rand_range (0, n_items)];
      guint choice = rand_range (0, 100);

      if (choice < 45)
        {
          /* Insert or re-arm; a narrow range makes ties common. */
          gint64 deadline = now + rand_range (-50, 1000);

          _gtask_sup_heap_set (&heap, item, deadline);
          item->deadline = deadline;
          item->in_heap = TRUE;
        }
      else if (choice < 65)
        {
          g_assert_cmpint (_gtask_sup_heap_remove (&heap, item), ==, item->in_heap);
          item->in_heap = FALSE;
        }
      else if (choice < 95)
        {
          gint64 expected = model_min (items, n_items);
          Item *popped;

          g_assert_cmpint (_gtask_sup_heap_peek_deadline (&heap), ==, expected);

          now += rand_range (0, 40);
          popped = _gtask_sup_heap_pop_expired (&heap, now);
          if (expected > now)
            {
              g_assert_null (popped);
            }
          else
            {
              g_assert_nonnull (popped);
              g_assert_true (popped->in_heap);
              g_assert_cmpint (popped->deadline, ==, expected);
              popped->in_heap = FALSE;
              n_popped++;
            }
        }
      else
        {
          /* Drain everything expired, in order. */
          gint64 last = G_MININT64;
          Item *popped;

          now += rand_range (0, 200);
          while ((popped = _gtask_sup_heap_pop_expired (&heap, now)) != NULL)
            {
              g_assert_true (popped->in_heap);
              g_assert_cmpint (popped->deadline, ==, model_min (items, n_items));
              g_assert_cmpint (popped->deadline, >=, last);
              g_assert_cmpint (popped->deadline, <=, now);
              last = popped->deadline;
              popped->in_heap = FALSE;
              n_popped++;
            }
          g_assert_cmpint (model_min (items, n_items), >, now);
        }

      assert_consistent (&heap, items, n_items);
    }

  g_assert_cmpuint (n_popped, >, 0);
  _gtask_sup_heap_clear (&heap);
  for (guint i = 0; i < n_items; i++)
    g_assert_cmpuint (items[i].heap_index, ==, 0);
}

static void
test_heap_shrink (void)
{
  const guint n_items = 100000;
  GtaskSupHeap heap;
  g_autofree Item *items = g_new0 (Item, n_items);
  guint max_allocated;
  gint64 last = G_MININT64;
  guint n_popped = 0;
  Item *item;

  g_test_summary ("A heap of 100 000 items gives its memory back once drained");

  heap_init_for_items (&heap);
  for (guint i = 0; i < n_items; i++)
    {
      items[i].deadline = g_rand_int (rng);
      items[i].in_heap = TRUE;
      _gtask_sup_heap_set (&heap, &items[i], items[i].deadline);
    }
  g_assert_cmpuint (_gtask_sup_heap_get_length (&heap), ==, n_items);
  max_allocated = heap.allocated;
  g_assert_cmpuint (max_allocated, >=, n_items);
  g_assert_cmpuint (max_allocated, <, 2 * n_items);

  while ((item = _gtask_sup_heap_pop_expired (&heap, G_MAXINT64)) != NULL)
    {
      g_assert_cmpint (item->deadline, >=, last);
      g_assert_cmpuint (item->heap_index, ==, 0);
      last = item->deadline;
      item->in_heap = FALSE;
      n_popped++;

      /* Shrinking never loses an entry, and keeps up with the drain. */
      g_assert_cmpuint (heap.len, <=, heap.allocated);
      if (heap.allocated > 64)
        g_assert_cmpuint (heap.len, >=, heap.allocated / 4);
    }
  g_assert_cmpuint (n_popped, ==, n_items);
  g_assert_cmpuint (heap.allocated, <=, 64);
  g_assert_cmpuint (heap.allocated, >, 0);

  /* Removing (not popping) gives memory back too. */
  for (guint i = 0; i < n_items; i++)
    {
      items[i].in_heap = TRUE;
      _gtask_sup_heap_set (&heap, &items[i], items[i].deadline);
    }
  /* 7919 is prime, so this visits every item once, in scattered order. */
  for (guint i = 0; i < n_items; i++)
    g_assert_true (_gtask_sup_heap_remove (&heap, &items[(i * 7919u) % n_items]));
  g_assert_cmpuint (heap.len, ==, 0);
  g_assert_cmpuint (heap.allocated, <=, 64);

  _gtask_sup_heap_clear (&heap);
}

int
main (int   argc,
      char *argv[])
{
  const char *seed_env = g_getenv ("GTASK_SUP_TEST_SEED");
  guint32 seed = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : DEFAULT_SEED;
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_message ("Seed: %u (GTASK_SUP_TEST_SEED)", seed);
  rng = g_rand_new_with_seed (seed);

  g_test_add_func ("/GtaskSup/Heap/empty", test_heap_empty);
  g_test_add_func ("/GtaskSup/Heap/single", test_heap_single);
  g_test_add_func ("/GtaskSup/Heap/remove-last-and-root", test_heap_remove_last_and_root);
  g_test_add_func ("/GtaskSup/Heap/same-deadline", test_heap_same_deadline);
  g_test_add_func ("/GtaskSup/Heap/clear", test_heap_clear);
  g_test_add_func ("/GtaskSup/Heap/random", test_heap_random);
  g_test_add_func ("/GtaskSup/Heap/shrink", test_heap_shrink);

  ret = g_test_run ();
  g_rand_free (rng);
  return ret;
}

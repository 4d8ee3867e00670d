/* test-children.c: the children model, against a reference model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gtask-sup.h>

#include "gtask-sup-children-private.h"
#include "gtask-sup-task-private.h"

#define children_new() gtask_sup_children_new (G_STRUCT_OFFSET (GtaskSupTask, children_slot))

/* A fixed seed, so that a failure reproduces; GTASK_SUP_TEST_SEED picks another. */
#define DEFAULT_SEED 20261203

static GRand *rng;

/* What a view built only from ::items-changed and get_item() shows. */
typedef struct
{
  GListModel *model;
  GPtrArray  *rows;        /* a reference each */
  guint       n_signals;
  /* Re-entrancy: a handler that removes this item and flushes. */
  gpointer    remove_in_handler;
} View;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  View       *view)
{
  view->n_signals++;

  g_assert_cmpuint (removed + added, >, 0);
  g_assert_cmpuint (position + removed, <=, view->rows->len);
  g_ptr_array_remove_range (view->rows, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (view->rows, position + i, g_list_model_get_item (model, position + i));

  /* The model says what the view now has. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, view->rows->len);
  g_assert_null (g_list_model_get_item (model, view->rows->len));

  if (view->remove_in_handler != NULL)
    {
      gpointer item = g_steal_pointer (&view->remove_in_handler);

      gtask_sup_children_remove (GTASK_SUP_CHILDREN (model), item);
      /* Nested: does nothing now; the outer flush goes on. */
      gtask_sup_children_flush (GTASK_SUP_CHILDREN (model));
    }
}

static void
view_init (View       *view,
           GListModel *model)
{
  view->model = model;
  view->rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), view);
}

static void
view_clear (View *view)
{
  g_signal_handlers_disconnect_by_func (view->model, items_changed_cb, view);
  g_clear_pointer (&view->rows, g_ptr_array_unref);
}

/* Every row of the model, read at random positions, is the view's. */
static void
assert_view_matches (View      *view,
                     GPtrArray *expected)
{
  guint n = g_list_model_get_n_items (view->model);

  g_assert_cmpuint (view->rows->len, ==, expected->len);
  g_assert_cmpuint (n, ==, expected->len);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (view->model, i);

      g_assert_true (item == g_ptr_array_index (expected, i));
      g_assert_true (g_ptr_array_index (view->rows, i) == item);
    }
}

static void
noop_async (GtaskSupTask *task,
            GCancellable *cancellable,
            gpointer      user_data)
{
}

static GtaskSupTask *
new_item (void)
{
  return gtask_sup_task_new_async (noop_async, NULL, NULL);
}

static void
test_children_basic (void)
{
  g_autoptr(GtaskSupChildren) children = children_new ();
  GListModel *model = G_LIST_MODEL (children);
  g_autoptr(GtaskSupTask) a = new_item ();
  g_autoptr(GtaskSupTask) b = new_item ();
  g_autoptr(GtaskSupTask) c = new_item ();
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  View view = { 0 };

  view_init (&view, model);
  g_assert_true (g_list_model_get_item_type (model) == GTASK_SUP_TYPE_TASK);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);

  /* Nothing shows before the flush. */
  g_assert_true (gtask_sup_children_add (children, a));
  g_assert_false (gtask_sup_children_add (children, a));
  g_assert_true (gtask_sup_children_add (children, b));
  g_assert_true (gtask_sup_children_contains (children, a));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_null (g_list_model_get_item (model, 0));
  gtask_sup_children_flush (children);
  g_assert_cmpuint (view.n_signals, ==, 1);
  g_ptr_array_add (expected, a);
  g_ptr_array_add (expected, b);
  assert_view_matches (&view, expected);

  /* An item removed before it was shown is never shown. */
  g_assert_true (gtask_sup_children_add (children, c));
  g_assert_false (gtask_sup_children_remove (children, c));
  g_assert_false (gtask_sup_children_contains (children, c));
  gtask_sup_children_flush (children);
  g_assert_cmpuint (view.n_signals, ==, 1);
  assert_view_matches (&view, expected);

  /* A shown one stays until the flush; removing it twice is once. */
  g_assert_true (gtask_sup_children_remove (children, a));
  g_assert_false (gtask_sup_children_remove (children, a));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  gtask_sup_children_flush (children);
  g_assert_cmpuint (view.n_signals, ==, 2);
  g_ptr_array_remove_index (expected, 0);
  assert_view_matches (&view, expected);

  /* The model holds its own references. */
  g_assert_cmpuint (G_OBJECT (b)->ref_count, ==, 3);  /* ours, the model's, the view's */

  /* Removed and added again before the flush: it moves to the end. */
  g_assert_true (gtask_sup_children_add (children, a));
  gtask_sup_children_flush (children);
  g_ptr_array_add (expected, a);
  assert_view_matches (&view, expected);
  g_assert_true (gtask_sup_children_remove (children, b));
  g_assert_true (gtask_sup_children_add (children, b));
  g_assert_true (gtask_sup_children_contains (children, b));
  gtask_sup_children_flush (children);
  g_ptr_array_remove_index (expected, 0);
  g_ptr_array_add (expected, b);
  assert_view_matches (&view, expected);
  g_assert_true (gtask_sup_children_contains (children, b));
  g_assert_true (gtask_sup_children_remove (children, b));
  gtask_sup_children_flush (children);
  g_ptr_array_remove_index (expected, 1);
  assert_view_matches (&view, expected);

  view_clear (&view);
}

/* Adjacent removals go in one signal, the last run first. */
static void
test_children_runs (void)
{
  g_autoptr(GtaskSupChildren) children = children_new ();
  GtaskSupTask *items[10];
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  View view = { 0 };

  view_init (&view, G_LIST_MODEL (children));
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      items[i] = new_item ();
      gtask_sup_children_add (children, items[i]);
    }
  gtask_sup_children_flush (children);
  g_assert_cmpuint (view.n_signals, ==, 1);

  /* Rows 2, 3, 4 and 7, 8, in no order: two runs. */
  gtask_sup_children_remove (children, items[8]);
  gtask_sup_children_remove (children, items[3]);
  gtask_sup_children_remove (children, items[7]);
  gtask_sup_children_remove (children, items[2]);
  gtask_sup_children_remove (children, items[4]);
  gtask_sup_children_flush (children);
  g_assert_cmpuint (view.n_signals, ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    if (i != 2 && i != 3 && i != 4 && i != 7 && i != 8)
      g_ptr_array_add (expected, items[i]);
  assert_view_matches (&view, expected);

  view_clear (&view);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    g_object_unref (items[i]);
}

/* Random adds, removals and flushes, some of them from handlers, against
 * a plain array; enough removals that the holes are squeezed out often. */
static void
test_children_random (void)
{
  g_autoptr(GtaskSupChildren) children = children_new ();
  g_autoptr(GPtrArray) live = g_ptr_array_new_with_free_func (g_object_unref);  /* in order */
  g_autoptr(GPtrArray) shown = g_ptr_array_new ();  /* what the view must show */
  View view = { 0 };
  guint rounds = g_test_slow () ? 2000 : 400;

  view_init (&view, G_LIST_MODEL (children));

  for (guint round = 0; round < rounds; round++)
    {
      guint n_ops = g_rand_int_range (rng, 1, 200);
      /* Some rounds grow the model, some shrink it, some drain it. */
      guint add_percent = (round % 7 == 6) ? 0 : g_rand_int_range (rng, 20, 80);

      for (guint op = 0; op < n_ops; op++)
        {
          if (live->len == 0 || (guint)g_rand_int_range (rng, 0, 100) < add_percent)
            {
              GtaskSupTask *item = new_item ();

              g_assert_true (gtask_sup_children_add (children, item));
              g_ptr_array_add (live, item);
            }
          else
            {
              guint i = g_rand_int_range (rng, 0, live->len);
              gpointer item = g_ptr_array_index (live, i);

              gtask_sup_children_remove (children, item);
              g_assert_false (gtask_sup_children_contains (children, item));
              g_ptr_array_remove_index (live, i);
            }
        }

      /* Between flushes the model shows what it showed. */
      assert_view_matches (&view, shown);

      if (live->len > 0 && g_rand_int_range (rng, 0, 4) == 0)
        {
          /* A handler removes one more; the flush takes it too. */
          guint i = g_rand_int_range (rng, 0, live->len);

          view.remove_in_handler = g_ptr_array_index (live, i);
          g_ptr_array_remove_index (live, i);
        }

      gtask_sup_children_flush (children);
      if (view.remove_in_handler != NULL)
        {
          /* No signal ran the handler: nothing changed. Remove it now. */
          gtask_sup_children_remove (children, g_steal_pointer (&view.remove_in_handler));
          gtask_sup_children_flush (children);
        }

      g_ptr_array_set_size (shown, 0);
      for (guint i = 0; i < live->len; i++)
        g_ptr_array_add (shown, g_ptr_array_index (live, i));
      assert_view_matches (&view, shown);
    }

  view_clear (&view);
}

/* Many items ending in start order, as a drain does. */
static void
test_children_drain (void)
{
  g_autoptr(GtaskSupChildren) children = children_new ();
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  View view = { 0 };
  guint n = 5000;

  view_init (&view, G_LIST_MODEL (children));
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (items, new_item ());
      gtask_sup_children_add (children, g_ptr_array_index (items, i));
    }
  gtask_sup_children_flush (children);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (children)), ==, n);

  /* The first half, then all but the last, then the last. */
  for (guint i = 0; i < n / 2; i++)
    gtask_sup_children_remove (children, g_ptr_array_index (items, i));
  gtask_sup_children_flush (children);
  g_assert_cmpuint (view.n_signals, ==, 2);
  g_assert_cmpuint (view.rows->len, ==, n - n / 2);
  g_assert_true (g_ptr_array_index (view.rows, 0) == g_ptr_array_index (items, n / 2));

  for (guint i = n / 2; i < n - 1; i++)
    gtask_sup_children_remove (children, g_ptr_array_index (items, i));
  gtask_sup_children_flush (children);
  g_assert_cmpuint (view.n_signals, ==, 3);
  g_assert_cmpuint (view.rows->len, ==, 1);
  g_assert_true (g_ptr_array_index (view.rows, 0) == g_ptr_array_index (items, n - 1));

  gtask_sup_children_remove (children, g_ptr_array_index (items, n - 1));
  gtask_sup_children_flush (children);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (children)), ==, 0);

  /* Only our references are left. */
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (G_OBJECT (g_ptr_array_index (items, i))->ref_count, ==, 1);

  view_clear (&view);
}

/* A row's item finalized by the flush that hides it (the model held its
 * last reference) finds the model as its signals described it. */
typedef struct
{
  GListModel *model;
  GPtrArray  *rows;       /* no references: the model holds the last ones */
  guint       n_checked;
} Mirror;

static void
mirror_changed_cb (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   Mirror     *mirror)
{
  g_ptr_array_remove_range (mirror->rows, position, removed);
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, position + i);

      g_ptr_array_insert (mirror->rows, position + i, item);
    }
}

static void
check_model_on_destroy (gpointer data)
{
  Mirror *mirror = data;
  guint n;

  /* Finalized with the model: nothing to look at. */
  if (mirror->model == NULL)
    {
      mirror->n_checked++;
      return;
    }

  n = g_list_model_get_n_items (mirror->model);

  g_assert_cmpuint (n, ==, mirror->rows->len);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (mirror->model, i);

      g_assert_true (item == g_ptr_array_index (mirror->rows, i));
    }
  mirror->n_checked++;
}

static void
test_children_finalize_in_flush (void)
{
  g_autoptr(GtaskSupChildren) children = children_new ();
  Mirror mirror = { G_LIST_MODEL (children), g_ptr_array_new (), 0 };
  GtaskSupTask *items[6];

  g_signal_connect (children, "items-changed", G_CALLBACK (mirror_changed_cb), &mirror);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      items[i] = gtask_sup_task_new_async (noop_async, &mirror, check_model_on_destroy);
      gtask_sup_children_add (children, items[i]);
    }
  gtask_sup_children_flush (children);
  g_assert_cmpuint (mirror.rows->len, ==, 6);

  /* The model's references are the last ones now. Two runs. */
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    g_object_unref (items[i]);
  gtask_sup_children_remove (children, items[1]);
  gtask_sup_children_remove (children, items[2]);
  gtask_sup_children_remove (children, items[4]);
  gtask_sup_children_flush (children);
  g_assert_cmpuint (mirror.n_checked, ==, 3);
  g_assert_cmpuint (mirror.rows->len, ==, 3);

  g_signal_handlers_disconnect_by_data (children, &mirror);
  mirror.model = NULL;
  g_clear_object (&children);
  g_assert_cmpuint (mirror.n_checked, ==, 6);
  g_ptr_array_unref (mirror.rows);
}

int
main (int   argc,
      char *argv[])
{
  const char *seed = g_getenv ("GTASK_SUP_TEST_SEED");
  int ret;

  g_test_init (&argc, &argv, NULL);

  rng = g_rand_new_with_seed (seed != NULL ? (guint32)g_ascii_strtoull (seed, NULL, 10)
                                           : DEFAULT_SEED);

  g_test_add_func ("/GtaskSup/Children/basic", test_children_basic);
  g_test_add_func ("/GtaskSup/Children/runs", test_children_runs);
  g_test_add_func ("/GtaskSup/Children/random", test_children_random);
  g_test_add_func ("/GtaskSup/Children/drain", test_children_drain);
  g_test_add_func ("/GtaskSup/Children/finalize-in-flush", test_children_finalize_in_flush);

  ret = g_test_run ();
  g_rand_free (rng);

  return ret;
}

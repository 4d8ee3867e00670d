/* feed.c — the stream that feeds the walk's files to the items
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One GtaskSupStream runs the items, at most --jobs at once. Its next
 * function takes the next batch of files from the walk's buffer. When the
 * buffer is empty but the walk goes on, it says so with
 * gtask_sup_stream_wait_for_input() and returns NULL: the stream pauses
 * (its items in flight go on) until the walk has files again and calls
 * feed_input_ready(), which resumes it. The next function never blocks the
 * main loop: it only takes the walk's mutex for a few pointer moves.
 *
 * An item is a thread task hashing a batch of files (hash.c), or with
 * --exec a subprocess task running `CMD ARG… FILE…` with up to --batch
 * files (1 by default, like `xargs -n1`). With --timeout, the default
 * batch is one file, so that the timeout is a file's: the stream's
 * on-timeout is KILL_TASK, a slow file is reported as timed out and the
 * walk goes on.
 *
 * The stream keeps nothing (retain is FALSE). In-process it is unordered:
 * each line is printed as soon as its batch is hashed, which sha256sum -c
 * does not mind. With --exec --print it is ordered, so that the commands'
 * outputs come in the order of the walk; an output waiting for an earlier
 * one keeps its slot, so memory stays bounded there too.
 */

#include "feed.h"
#include "hash.h"

/* A command of --exec that timed out or was cancelled gets SIGKILL this
 * long after its SIGTERM. */
#define EXEC_KILL_AFTER_MS 1000

struct _Feed
{
  const Sha256Options *options;
  Walk                *walk;          /* a reference */
  Report              *report;        /* not a reference: the owner's */
  GtaskSupStream      *stream;
  guint                n_handed;      /* files given to items */
  guint                n_reported;    /* files of the items emitted */
  gboolean             finished;
  gboolean             interrupted;
};

static GtaskSupTask *
exec_task_new (Feed  *feed,
               Batch *batch)
{
  const Sha256Options *options = feed->options;
  g_autofree const char **argv = g_new (const char *, options->exec_argc + batch->n_files + 1);
  GtaskSupTask *task;
  guint argc = 0;

  for (guint i = 0; i < options->exec_argc; i++)
    argv[argc++] = options->exec_argv[i];
  for (guint i = 0; i < batch->n_files; i++)
    argv[argc++] = batch->files[i]->path;
  argv[argc] = NULL;

  /* With --print, its stdout is the task's value; without, it goes to
   * /dev/null, as nobody reads it: capturing it costs a wake-up of the
   * library's threads for every write() of the command. The tail of its
   * stderr ends a failure's message. The task is named after CMD. */
  task = gtask_sup_task_new_subprocess (argv,
                                        (options->print ? G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                        : G_SUBPROCESS_FLAGS_STDOUT_SILENCE) |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  gtask_sup_task_set_shutdown_timeout (task, EXEC_KILL_AFTER_MS);
  /* One command per file (or per batch) is many short commands: posix_spawn()
   * does not copy this process for each, as GSubprocess's fork() does. */
  gtask_sup_task_set_spawn_mode (task, GTASK_SUP_SPAWN_MODE_POSIX_SPAWN);

  return task;
}

/* On the main context, whenever the stream has room. */
static GtaskSupTask *
feed_next_item (GtaskSupStream *stream,
                guint64         index,
                gpointer        user_data)
{
  Feed *feed = user_data;
  g_autoptr(Batch) batch = NULL;
  GtaskSupTask *task;
  gboolean done;

  batch = walk_take_batch (feed->walk, feed->options->batch_size,
                           feed->options->exec_argv == NULL ? BATCH_BYTES : 0, &done);
  if (batch == NULL)
    {
      /* Not the end: the walk calls feed_input_ready() once it has more. */
      if (!done)
        gtask_sup_stream_wait_for_input (stream);
      return NULL;
    }

  feed->n_handed += batch->n_files;

  if (feed->options->exec_argv != NULL)
    task = exec_task_new (feed, batch);
  else
    task = hash_task_new (batch);
  task_set_batch (task, batch);

  return task;
}

static void
on_stream_item (GtaskSupStream *stream,
                guint64         index,
                GtaskSupTask   *task,
                gpointer        user_data)
{
  Feed *feed = user_data;
  Batch *batch = task_get_batch (task);

  feed->n_reported += batch->n_files;
  report_item (feed->report, task, batch, feed->interrupted);
}

static void
on_stream_finished (GtaskSupStream *stream,
                    const GError   *error,
                    gpointer        user_data)
{
  Feed *feed = user_data;

  feed->finished = TRUE;

  if (error == NULL)
    return;

  /* Items cancelled in flight are never outputs. */
  report_cancelled (feed->report, feed->n_handed - feed->n_reported);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    report_error (feed->report, g_strdup (error->message));
}

Feed *
feed_new (GtaskSupSupervisor  *supervisor,
          Walk                *walk,
          Report              *report,
          const Sha256Options *options)
{
  Feed *feed = g_new0 (Feed, 1);

  feed->options = options;
  feed->walk = walk_ref (walk);
  feed->report = report;

  feed->stream = gtask_sup_supervisor_map (supervisor, feed_next_item, feed, NULL);
  gtask_sup_stream_set_max_concurrency (feed->stream, options->jobs);
  gtask_sup_stream_set_retain (feed->stream, FALSE);
  /* Hashes are printed as they come; a command's output in walk order. */
  gtask_sup_stream_set_ordered (feed->stream, options->exec_argv != NULL && options->print);
  if (options->timeout_ms >= 0)
    {
      gtask_sup_stream_set_timeout (feed->stream, options->timeout_ms);
      gtask_sup_stream_set_on_timeout (feed->stream, GTASK_SUP_ON_TIMEOUT_KILL_TASK);
    }
  g_signal_connect (feed->stream, "item", G_CALLBACK (on_stream_item), feed);
  g_signal_connect (feed->stream, "finished", G_CALLBACK (on_stream_finished), feed);

  return feed;
}

void
feed_free (Feed *feed)
{
  /* Only after a second Ctrl-C can the stream still run here: its next
   * function must not be called any more. */
  if (!feed->finished)
    gtask_sup_stream_cancel (feed->stream);
  g_signal_handlers_disconnect_by_data (feed->stream, feed);
  g_object_unref (feed->stream);
  walk_unref (feed->walk);
  g_free (feed);
}

void
feed_start (Feed *feed)
{
  gtask_sup_stream_start (feed->stream);
}

void
feed_input_ready (Feed *feed)
{
  gtask_sup_stream_input_ready (feed->stream);
}

void
feed_cancel (Feed *feed)
{
  feed->interrupted = TRUE;

  /* Files found but never handed to an item count as cancelled too. */
  report_cancelled (feed->report, walk_drop_found (feed->walk));

  /* Its items in flight are cancelled (subprocesses get SIGTERM), and
   * ::finished comes from a later iteration of the main context. */
  gtask_sup_stream_cancel (feed->stream);
}

gboolean
feed_is_finished (Feed *feed)
{
  return feed->finished;
}

/* gtask-sup-spawn.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE  /* posix_spawn_file_actions_addclosefrom_np() */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
# include <sys/syscall.h>
#endif

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "gtask-sup-spawn-private.h"

/* How much one read() of a pipe may take, and how many reads one dispatch
 * makes before it lets other sources of the service thread run. */
#define READ_CHUNK     16384
#define READS_PER_TURN 16

typedef struct
{
  GtaskSupSpawn *spawn;
  int            fd;       /* -1 once read to the end */
  GByteArray    *bytes;
  GSource       *source;
} Pipe;

struct _GtaskSupSpawn
{
  /* Constant once started (@context once watched). */
  GPid                   pid;
  GtaskSupSpawnDoneFunc  done;
  gpointer               data;
  GMainContext          *context;

  /* Set under @lock, which a kill of the group holds too (so that no kill
   * sent after the reap can reach an id given out again); atomic, read
   * from any thread. */
  GMutex                 lock;
  int                    reaped;

  /* The thread that started it until it is watched, then the context's. */
  Pipe                   out;
  Pipe                   err;
  int                    pidfd;
  GSource               *reap_source;
  int                    wait_status;
  GError                *error;
};

static void spawn_finish_if_done (GtaskSupSpawn *self);

static void
spawn_clear (gpointer data)
{
  GtaskSupSpawn *self = data;

  g_assert (self->out.source == NULL && self->err.source == NULL);
  g_assert (self->reap_source == NULL);

  g_assert (self->out.fd < 0 && self->err.fd < 0 && self->pidfd < 0);

  g_clear_pointer (&self->out.bytes, g_byte_array_unref);
  g_clear_pointer (&self->err.bytes, g_byte_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
}

GtaskSupSpawn *
_gtask_sup_spawn_ref (GtaskSupSpawn *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
_gtask_sup_spawn_unref (GtaskSupSpawn *self)
{
  g_atomic_rc_box_release_full (self, spawn_clear);
}

GPid
_gtask_sup_spawn_get_pid (GtaskSupSpawn *self)
{
  return self->pid;
}

/* Until then, the pid (and the process group of the same id) is ours:
 * nobody else reaps it, and it is set before the child is reaped (see
 * spawn_try_reap()), so it cannot have been given out again. */
gboolean
_gtask_sup_spawn_is_reaped (GtaskSupSpawn *self)
{
  return g_atomic_int_get (&self->reaped);
}

static void
spawn_set_reaped (GtaskSupSpawn *self)
{
  g_mutex_lock (&self->lock);
  g_atomic_int_set (&self->reaped, TRUE);
  g_mutex_unlock (&self->lock);
}

/* Sends @signum to the child's process group, unless the child was
 * reaped: returns whether it did. Any thread. The check and the kill are
 * one step against the reap (through the pidfd, the child is marked
 * reaped while it is still a zombie holding its id). With GLib's child
 * watch, which reaps before it tells us, a window of microseconds is left,
 * as GSubprocess has. */
gboolean
_gtask_sup_spawn_signal_group (GtaskSupSpawn *self,
                               int            signum)
{
  gboolean sent = FALSE;

  g_mutex_lock (&self->lock);
  if (!g_atomic_int_get (&self->reaped))
    {
      kill (-self->pid, signum);
      sent = TRUE;
    }
  g_mutex_unlock (&self->lock);

  return sent;
}

/* The error codes of g_spawn_*() for what exec() and the spawn itself
 * fail with. */
static GSpawnError
spawn_error_from_errno (int errsv)
{
  switch (errsv)
    {
    case EACCES: return G_SPAWN_ERROR_ACCES;
    case EPERM: return G_SPAWN_ERROR_PERM;
    case E2BIG: return G_SPAWN_ERROR_TOO_BIG;
    case ENOEXEC: return G_SPAWN_ERROR_NOEXEC;
    case ENAMETOOLONG: return G_SPAWN_ERROR_NAMETOOLONG;
    case ENOENT: return G_SPAWN_ERROR_NOENT;
    case ENOMEM: return G_SPAWN_ERROR_NOMEM;
    case ENOTDIR: return G_SPAWN_ERROR_NOTDIR;
    case ELOOP: return G_SPAWN_ERROR_LOOP;
    case ETXTBSY: return G_SPAWN_ERROR_TXTBUSY;
    case EIO: return G_SPAWN_ERROR_IO;
    case ENFILE: return G_SPAWN_ERROR_NFILE;
    case EMFILE: return G_SPAWN_ERROR_MFILE;
    case EINVAL: return G_SPAWN_ERROR_INVAL;
    case EISDIR: return G_SPAWN_ERROR_ISDIR;
    case ELIBBAD: return G_SPAWN_ERROR_LIBBAD;
    default: return G_SPAWN_ERROR_FAILED;
    }
}

/* Reading failed, or the child was reaped by someone else: it must not
 * outlive us. Only while we have not reaped it, so that its id is ours. */
static void
spawn_fail (GtaskSupSpawn *self,
            int            errsv)
{
  if (self->error == NULL)
    self->error = g_error_new_literal (G_IO_ERROR, g_io_error_from_errno (errsv),
                                       g_strerror (errsv));
  _gtask_sup_spawn_signal_group (self, SIGKILL);
}

/* Stops watching @fd (if @source is set) and closes it (if open). */
static void
unwatch_and_close (GSource **source,
                   int      *fd)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
  if (*fd >= 0)
    {
      g_close (*fd, NULL);
      *fd = -1;
    }
}

static void
pipe_close (Pipe *pipe)
{
  unwatch_and_close (&pipe->source, &pipe->fd);
}

/* Reads what @pipe has, a bounded amount at a time, into a buffer that
 * grows with what came (a short output keeps a short allocation). Returns
 * TRUE once it is done: read to the end, or failed (and closed either
 * way). */
static gboolean
pipe_read (Pipe *pipe)
{
  guint8 buffer[READ_CHUNK];

  for (guint i = 0; i < READS_PER_TURN; i++)
    {
      gssize n = read (pipe->fd, buffer, sizeof buffer);
      int errsv = errno;

      if (n > 0)
        {
          g_byte_array_append (pipe->bytes, buffer, n);
          continue;
        }

      if (n < 0 && errsv == EINTR)
        continue;

      if (n < 0 && errsv == EAGAIN)
        return FALSE;

      if (n < 0)
        spawn_fail (pipe->spawn, errsv);

      pipe_close (pipe);
      return TRUE;
    }

  return FALSE;
}

static gboolean
pipe_readable_cb (int          fd,
                  GIOCondition condition,
                  gpointer     data)
{
  Pipe *pipe = data;

  if (!pipe_read (pipe))
    return G_SOURCE_CONTINUE;

  spawn_finish_if_done (pipe->spawn);
  return G_SOURCE_REMOVE;
}

static void
pipe_init (GtaskSupSpawn *self,
           Pipe          *pipe,
           int            fd)
{
  pipe->spawn = self;
  pipe->fd = fd;
  if (fd < 0)
    return;

  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  pipe->bytes = g_byte_array_new ();
}

static void
pipe_watch (GtaskSupSpawn *self,
            Pipe          *pipe)
{
  if (pipe->fd < 0)
    return;

  pipe->source = g_unix_fd_source_new (pipe->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_static_name (pipe->source, "[gtask-sup] child pipe");
  g_source_set_callback (pipe->source, G_SOURCE_FUNC (pipe_readable_cb), pipe, NULL);
  g_source_attach (pipe->source, self->context);
}

static void
spawn_reaped (GtaskSupSpawn *self,
              int            wait_status)
{
  self->wait_status = wait_status;
  /* Already, through the pidfd; by GLib's child watch, only now. */
  if (!g_atomic_int_get (&self->reaped))
    spawn_set_reaped (self);

  unwatch_and_close (&self->reap_source, &self->pidfd);
}

/* Through the pidfd, once it is readable: reaps the child. Returns TRUE
 * once it was reaped. Whether it exited is asked first without reaping
 * it, so that @reaped is set (under @lock) while the zombie still holds
 * its pid and group id: a kill of _gtask_sup_spawn_signal_group(), which
 * holds @lock, either comes before and reaches the zombie's group, or
 * comes after and is not sent. */
static gboolean
spawn_try_reap (GtaskSupSpawn *self)
{
  siginfo_t info = { 0 };
  int status = 0;
  pid_t pid;
  int r;

  do
    r = waitid (P_PID, self->pid, &info, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);

  /* Not yet: WNOHANG leaves si_pid at 0. */
  if (r == 0 && info.si_pid == 0)
    return FALSE;

  spawn_set_reaped (self);

  do
    pid = waitpid (self->pid, &status, 0);
  while (pid < 0 && errno == EINTR);

  /* Reaped by someone else (a waitpid (-1) of the application): there is
   * no status to report. */
  if (pid < 0)
    spawn_fail (self, errno);

  spawn_reaped (self, status);
  return TRUE;
}

static gboolean
pidfd_readable_cb (int          fd,
                   GIOCondition condition,
                   gpointer     data)
{
  GtaskSupSpawn *self = data;

  if (!spawn_try_reap (self))
    return G_SOURCE_CONTINUE;

  spawn_finish_if_done (self);
  return G_SOURCE_REMOVE;
}

static void
child_watch_cb (GPid     pid,
                int      wait_status,
                gpointer data)
{
  GtaskSupSpawn *self = data;

  spawn_reaped (self, wait_status);
  spawn_finish_if_done (self);
}

/* Through the pidfd, the thread is woken by the exit itself; GLib's child
 * watch (before GLib 2.78, or out of descriptors) goes through its SIGCHLD
 * handler and worker thread first. */
static void
reap_watch (GtaskSupSpawn *self)
{
  if (g_atomic_int_get (&self->reaped))
    return;

  if (self->pidfd >= 0)
    {
      self->reap_source = g_unix_fd_source_new (self->pidfd, G_IO_IN);
      g_source_set_callback (self->reap_source, G_SOURCE_FUNC (pidfd_readable_cb), self, NULL);
    }
  else
    {
      self->reap_source = g_child_watch_source_new (self->pid);
      g_source_set_callback (self->reap_source, G_SOURCE_FUNC (child_watch_cb), self, NULL);
    }

  g_source_set_static_name (self->reap_source, "[gtask-sup] child exit");
  g_source_attach (self->reap_source, self->context);
}

/* Once the child was reaped and both pipes were read to the end: the
 * callback, then the reference the child held is dropped. */
static void
spawn_finish_if_done (GtaskSupSpawn *self)
{
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;

  if (self->out.fd >= 0 || self->err.fd >= 0 || !g_atomic_int_get (&self->reaped))
    return;

  if (self->out.bytes != NULL)
    out = g_byte_array_free_to_bytes (g_steal_pointer (&self->out.bytes));
  if (self->err.bytes != NULL)
    err = g_byte_array_free_to_bytes (g_steal_pointer (&self->err.bytes));

  self->done (out, err, self->wait_status, self->error, self->data);
  _gtask_sup_spawn_unref (self);
}

/* What posix_spawn() can do of what GSubprocess does with @flags: all of
 * it, except that closing the descriptors the child should not inherit
 * needs posix_spawn_file_actions_addclosefrom_np() (glibc 2.34). */
gboolean
_gtask_sup_spawn_is_supported (GSubprocessFlags flags)
{
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
  return TRUE;
#else
  return (flags & G_SUBPROCESS_FLAGS_INHERIT_FDS) != 0;
#endif
}

/* Whether exec() can run @path itself: an ELF binary or a `#!` script (or
 * a file we cannot read, which exec() judges). Anything else (a shell
 * script without `#!`, or what is not a regular file) is refused here
 * rather than by exec() in the child, whose error a fork-emulated vfork
 * (valgrind) does not report: GSubprocess then runs it, or says why not.
 * Never blocks, even on a FIFO. */
static gboolean
is_executable_format (const char *path)
{
  char magic[4] = { 0 };
  struct stat st;
  gssize n = -1;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return TRUE;

  if (fstat (fd, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_close (fd, NULL);
      return FALSE;
    }

  do
    n = read (fd, magic, sizeof magic);
  while (n < 0 && errno == EINTR);
  g_close (fd, NULL);

  if (n < 0)
    return TRUE;

  return (n >= 2 && magic[0] == '#' && magic[1] == '!') ||
         (n == 4 && memcmp (magic, "\177ELF", 4) == 0);
}

/* A pipe for the child's @child_fd: the child's end goes there, ours is
 * returned in @parent_fd. The child's end is moved above 2 first if it is
 * not, so that setting up one stdio descriptor never overwrites another. */
static int
pipe_open (posix_spawn_file_actions_t *actions,
           int                         child_fd,
           int                        *parent_fd,
           int                        *child_end)
{
  int fds[2];
  int reader = child_fd == STDIN_FILENO;

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, NULL))
    return errno;

  *parent_fd = reader ? fds[1] : fds[0];
  *child_end = reader ? fds[0] : fds[1];

  if (*child_end <= STDERR_FILENO)
    {
      int moved = fcntl (*child_end, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
      int errsv = errno;

      g_close (*child_end, NULL);
      *child_end = moved;
      if (moved < 0)
        return errsv;
    }

  return posix_spawn_file_actions_adddup2 (actions, *child_end, child_fd);
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    g_close (*fd, NULL);
  *fd = -1;
}

/* Starts @argv (looked up in PATH if argv[0] has no '/') with its stdio as
 * @flags says, in a process group of its own. Any thread; it blocks until
 * the child has called exec(). Returns the spawn (a reference for the
 * caller; the child keeps another until @done), or NULL with @error set in
 * G_SPAWN_ERROR if it could not start (G_SPAWN_ERROR_NOEXEC for a file
 * without `#!` that exec() refuses, which GSubprocess runs with /bin/sh).
 * Then the thread that started it may wait for it a little, with
 * _gtask_sup_spawn_wait(), and must hand it over to a context with
 * _gtask_sup_spawn_watch() unless it ended there. @done runs once, on the
 * thread that saw the end. */
GtaskSupSpawn *
_gtask_sup_spawn_start (const char * const     *argv,
                        GSubprocessFlags        flags,
                        GtaskSupSpawnDoneFunc   done,
                        gpointer                data,
                        GError                **error)
{
  static const int default_signals[] = { SIGCHLD, SIGHUP, SIGINT, SIGPIPE, SIGTERM };
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  sigset_t mask;
  int parent_fds[3] = { -1, -1, -1 };
  int child_fds[3] = { -1, -1, -1 };
  g_autofree char *program = NULL;
  GtaskSupSpawn *self;
  pid_t pid = 0;
  int r = 0;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL && *argv[0] != '\0', NULL);
  g_return_val_if_fail (_gtask_sup_spawn_is_supported (flags), NULL);

  /* The program is found here rather than by posix_spawnp() in the child:
   * where the child's exec() is not reported to posix_spawn() (under
   * valgrind, which turns vfork into fork), a missing program would
   * otherwise look like one that exited with 127. */
  if (strchr (argv[0], '/') == NULL)
    program = g_find_program_in_path (argv[0]);
  else if (access (argv[0], X_OK) == 0)
    program = g_strdup (argv[0]);
  else
    r = errno;

  if (program == NULL)
    r = r != 0 ? r : ENOENT;
  else if (!is_executable_format (program))
    r = ENOEXEC;

  if (r != 0)
    {
      g_set_error_literal (error, G_SPAWN_ERROR, spawn_error_from_errno (r), g_strerror (r));
      return NULL;
    }

  posix_spawn_file_actions_init (&actions);
  posix_spawnattr_init (&attr);

  /* Its own process group, no blocked signal, and the signals that GLib
   * and language runtimes handle or ignore back to their default, as
   * g_spawn_*() does. */
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                   POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup (&attr, 0);
  sigemptyset (&mask);
  posix_spawnattr_setsigmask (&attr, &mask);
  for (gsize i = 0; i < G_N_ELEMENTS (default_signals); i++)
    sigaddset (&mask, default_signals[i]);
  posix_spawnattr_setsigdefault (&attr, &mask);

  /* stdin: a pipe with nothing in it, the caller's, or /dev/null. */
  if (flags & G_SUBPROCESS_FLAGS_STDIN_PIPE)
    r = pipe_open (&actions, STDIN_FILENO, &parent_fds[0], &child_fds[0]);
  else if (!(flags & G_SUBPROCESS_FLAGS_STDIN_INHERIT))
    r = posix_spawn_file_actions_addopen (&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  /* stdout and stderr: a pipe, /dev/null, or the caller's. */
  if (r == 0 && (flags & G_SUBPROCESS_FLAGS_STDOUT_PIPE))
    r = pipe_open (&actions, STDOUT_FILENO, &parent_fds[1], &child_fds[1]);
  else if (r == 0 && (flags & G_SUBPROCESS_FLAGS_STDOUT_SILENCE))
    r = posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);

  if (r == 0 && (flags & G_SUBPROCESS_FLAGS_STDERR_PIPE))
    r = pipe_open (&actions, STDERR_FILENO, &parent_fds[2], &child_fds[2]);
  else if (r == 0 && (flags & G_SUBPROCESS_FLAGS_STDERR_SILENCE))
    r = posix_spawn_file_actions_addopen (&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  else if (r == 0 && (flags & G_SUBPROCESS_FLAGS_STDERR_MERGE))
    r = posix_spawn_file_actions_adddup2 (&actions, STDOUT_FILENO, STDERR_FILENO);

#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
  if (r == 0 && !(flags & G_SUBPROCESS_FLAGS_INHERIT_FDS))
    r = posix_spawn_file_actions_addclosefrom_np (&actions, STDERR_FILENO + 1);
#endif

  if (r == 0)
    r = posix_spawn (&pid, program, &actions, &attr, (char * const *)argv, environ);

  posix_spawn_file_actions_destroy (&actions);
  posix_spawnattr_destroy (&attr);

  for (gsize i = 0; i < G_N_ELEMENTS (child_fds); i++)
    close_fd (&child_fds[i]);

  if (r != 0)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (parent_fds); i++)
        close_fd (&parent_fds[i]);
      g_set_error_literal (error, G_SPAWN_ERROR, spawn_error_from_errno (r), g_strerror (r));
      return NULL;
    }

  self = g_atomic_rc_box_new0 (GtaskSupSpawn);
  g_mutex_init (&self->lock);
  self->pid = pid;
  self->done = done;
  self->data = data;

  /* The exit is seen on a pidfd where there is one (Linux 5.3), so that
   * _gtask_sup_spawn_wait() can poll it with the pipes; else GLib's child
   * watch reaps it. */
  self->pidfd = -1;
#if defined(__linux__) && defined(SYS_pidfd_open)
  self->pidfd = syscall (SYS_pidfd_open, pid, 0);
#endif

  /* Nothing to write: the child reads the end of its stdin at once. */
  close_fd (&parent_fds[0]);
  pipe_init (self, &self->out, parent_fds[1]);
  pipe_init (self, &self->err, parent_fds[2]);

  /* The child's reference, until @done. */
  return _gtask_sup_spawn_ref (self);
}

/* Waits on this thread, up to @timeout_ms, for the child to exit and its
 * pipes to end, so that a short command ends without a wakeup of another
 * thread. Returns TRUE if it ended (@done was called, here), FALSE if it
 * still runs: it must then be watched. Only on the thread that started it,
 * before it is watched. */
gboolean
_gtask_sup_spawn_wait (GtaskSupSpawn *self,
                       int            timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;

  g_return_val_if_fail (self->context == NULL, FALSE);

  /* Without a pidfd, the exit cannot be polled. */
  if (self->pidfd < 0)
    return FALSE;

  for (;;)
    {
      GPollFD fds[3];
      Pipe *pipes[3] = { NULL, NULL, NULL };
      guint n = 0;
      gint64 remaining;

      if (self->out.fd >= 0)
        {
          pipes[n] = &self->out;
          fds[n++] = (GPollFD) { self->out.fd, G_IO_IN | G_IO_HUP | G_IO_ERR, 0 };
        }
      if (self->err.fd >= 0)
        {
          pipes[n] = &self->err;
          fds[n++] = (GPollFD) { self->err.fd, G_IO_IN | G_IO_HUP | G_IO_ERR, 0 };
        }
      if (!g_atomic_int_get (&self->reaped))
        fds[n++] = (GPollFD) { self->pidfd, G_IO_IN, 0 };

      if (n == 0)
        {
          spawn_finish_if_done (self);
          return TRUE;
        }

      remaining = deadline - g_get_monotonic_time ();
      if (remaining <= 0)
        return FALSE;

      if (g_poll (fds, n, (int) ((remaining + 999) / 1000)) < 0 && errno != EINTR)
        return FALSE;

      for (guint i = 0; i < n; i++)
        {
          if (fds[i].revents == 0)
            continue;
          if (pipes[i] != NULL)
            pipe_read (pipes[i]);
          else
            spawn_try_reap (self);
        }
    }
}

/* Reads the child's pipes and reaps it on the thread of @context, which
 * calls @done there. Once, from the thread that started it (and maybe
 * waited for it), if it did not end there. */
void
_gtask_sup_spawn_watch (GtaskSupSpawn *self,
                        GMainContext  *context)
{
  g_return_if_fail (self->context == NULL);

  self->context = g_main_context_ref (context);
  pipe_watch (self, &self->out);
  pipe_watch (self, &self->err);
  reap_watch (self);
}

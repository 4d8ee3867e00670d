/* gtask-sup-i18n.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <libintl.h>

#include "gtask-sup-i18n-private.h"

static void
ensure_bound (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      /* GTASK_SUP_LOCALEDIR: the translations of a build tree, before
       * they are installed (`meson devenv` and the tests set it). */
      const char *localedir = g_getenv ("GTASK_SUP_LOCALEDIR");

      bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&initialized, 1);
    }
}

const char *
_gtask_sup_gettext (const char *msgid)
{
  ensure_bound ();
  return g_dgettext (GETTEXT_PACKAGE, msgid);
}

const char *
_gtask_sup_ngettext (const char *msgid,
                     const char *msgid_plural,
                     gulong      n)
{
  ensure_bound ();
  return g_dngettext (GETTEXT_PACKAGE, msgid, msgid_plural, n);
}

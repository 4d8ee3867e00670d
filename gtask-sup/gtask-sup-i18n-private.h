/* gtask-sup-i18n-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The library's translations. The text domain is bound on first use, so
 * programs (and Python or JavaScript users) never call an init function. */
G_GNUC_INTERNAL
const char *_gtask_sup_gettext (const char *msgid) G_GNUC_FORMAT (1);

G_GNUC_INTERNAL
const char *_gtask_sup_ngettext (const char *msgid,
                                 const char *msgid_plural,
                                 gulong      n) G_GNUC_FORMAT (1);

#define _(s)  _gtask_sup_gettext (s)
#define N_(s) (s)

G_END_DECLS

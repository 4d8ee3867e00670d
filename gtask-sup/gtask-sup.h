/* gtask-sup.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GTASK_SUP_INSIDE
# include "gtask-sup-version.h"
# include "gtask-sup-version-macros.h"
# include "gtask-sup-types.h"
# include "gtask-sup-enums.h"
# include "gtask-sup-task.h"
# include "gtask-sup-supervisor.h"
# include "gtask-sup-stream.h"
# include "gtask-sup-many.h"
#undef GTASK_SUP_INSIDE

G_END_DECLS

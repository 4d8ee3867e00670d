/* gtask-sup-version-macros.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(GTASK_SUP_INSIDE) && !defined(GTASK_SUP_COMPILATION)
# error "Only <gtask-sup/gtask-sup.h> can be included directly."
#endif

#include <glib.h>

#include "gtask-sup-version.h"

#ifndef _GTASK_SUP_EXTERN
# define _GTASK_SUP_EXTERN __attribute__((visibility("default"))) extern
#endif

#ifdef GTASK_SUP_DISABLE_DEPRECATION_WARNINGS
# define GTASK_SUP_DEPRECATED _GTASK_SUP_EXTERN
# define GTASK_SUP_DEPRECATED_FOR(f) _GTASK_SUP_EXTERN
# define GTASK_SUP_UNAVAILABLE(maj,min) _GTASK_SUP_EXTERN
#else
# define GTASK_SUP_DEPRECATED G_DEPRECATED _GTASK_SUP_EXTERN
# define GTASK_SUP_DEPRECATED_FOR(f) G_DEPRECATED_FOR(f) _GTASK_SUP_EXTERN
# define GTASK_SUP_UNAVAILABLE(maj,min) G_UNAVAILABLE(maj,min) _GTASK_SUP_EXTERN
#endif

#define GTASK_SUP_VERSION_1_0 (G_ENCODE_VERSION (1, 0))

#ifndef GTASK_SUP_VERSION_MIN_REQUIRED
# define GTASK_SUP_VERSION_MIN_REQUIRED GTASK_SUP_VERSION_1_0
#endif

#ifndef GTASK_SUP_VERSION_MAX_ALLOWED
# define GTASK_SUP_VERSION_MAX_ALLOWED GTASK_SUP_VERSION_1_0
#endif

#define GTASK_SUP_AVAILABLE_IN_ALL _GTASK_SUP_EXTERN
#define GTASK_SUP_AVAILABLE_IN_1_0 _GTASK_SUP_EXTERN

/* gtask-sup-types.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-types.h"

/**
 * gtask_sup_error_quark:
 *
 * Gets the error domain of gtask-sup, %GTASK_SUP_ERROR.
 *
 * Returns: the quark of the `GTASK_SUP_ERROR` domain
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (gtask-sup-error-quark, gtask_sup_error)
